"""YAML a user hands over (`llmconform.yaml`, a baseline file), read safely and bounded.

`yaml.safe_load` still expands aliases: a "billion laughs" file of a few hundred bytes
(anchors of anchors of lists) took 39 s and 3 GB before a MemoryError. No setting needs an
alias, so any alias is refused before it is expanded. Messages quote values clipped.
"""

from __future__ import annotations

import reprlib
from typing import Any

import yaml

__all__ = ["AliasRefused", "clip", "load_user_yaml"]

_CLIP = 80


class AliasRefused(yaml.YAMLError):
    """The document uses a YAML alias (`*name`), which these files never need."""


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise AliasRefused(
                f"aliases (*name) are not accepted ({event.start_mark.line + 1}:"
                f"{event.start_mark.column + 1}): write the value out"
            )
        return super().compose_node(parent, index)


def load_user_yaml(text: str) -> Any:
    """Parse one YAML document without aliases; raises yaml.YAMLError."""
    return yaml.load(text, Loader=_NoAliasLoader)


_REPR = reprlib.Repr()  # attributes, not keywords: Python 3.11
_REPR.maxlevel = 3
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = _CLIP


def clip(value: object, limit: int = _CLIP) -> str:
    """`repr(value)` cut to about `limit` characters, for a message (never built whole)."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
