"""SDK-profile tests reuse the fault modules of the other areas' broken-server tests."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1]
for _area in ("tools", "anthropic", "responses"):
    if str(_TESTS / _area) not in sys.path:
        sys.path.append(str(_TESTS / _area))  # appended: they must never shadow a real package
