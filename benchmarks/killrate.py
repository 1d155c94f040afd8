"""Mutant kill rate: `python benchmarks/killrate.py [--verbose]`.

Runs the suite (in-process, against loopback) once per mutant of tests/realbugs (each a real
compatibility bug re-created against the reference server) and prints, per API, how many
mutants a failing requirement named by the mutant killed, how many only warned (a named
SHOULD), how many survived, and how many could not be built (skipped, with the reason).
Every mutant not killed is listed. Exit status 0 whatever the rate (it informs, not gates).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT / "tests" / "realbugs", ROOT / "tests", ROOT / "src"):
    sys.path.insert(0, str(folder))
os.environ.setdefault("LLMCONFORM_CACHE_DIR", tempfile.mkdtemp(prefix="llmconform-killrate-"))

from mutant_kit import Mutant, Verdict, catalog, run_mutant  # noqa: E402
from mutant_tables import FAMILIES  # noqa: E402

NAMES = {"openai": "OpenAI", "responses": "Responses", "anthropic": "Anthropic"}


def main() -> int:
    """Print the kill-rate table and every mutant not killed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="show each mutant's verdict")
    args = parser.parse_args()
    entries = catalog()
    began = time.perf_counter()
    lost: list[str] = []
    rows = []
    for family, mutants in FAMILIES.items():
        built = [m for m in mutants.values() if not m.skip]
        skipped = [m for m in mutants.values() if m.skip]
        in_catalog = sum(1 for e in entries.values() if _family(e["api"]) == family)
        verdicts = [run_mutant(m, family) for m in built]
        killed = sum(v.killed for v in verdicts)
        warned = sum(v.warned_only for v in verdicts)
        rows.append((NAMES[family], in_catalog, len(built), len(skipped), killed, warned))
        for m, v in zip(built, verdicts, strict=True):
            if args.verbose or not v.killed:
                lost.append(_line(family, m, v))
        lost += [f"  {NAMES[family]:9} SKIP     {m.id}: {m.skip}" for m in skipped]
    print(
        f"{'API':10}{'catalog':>8}{'built':>7}{'skipped':>9}{'killed':>8}{'warned':>8}"
        f"{'survived':>10}{'kill rate':>11}"
    )
    for name, total, built_n, skip_n, killed, warned in rows:
        rate = f"{100 * killed / built_n:.0f}%" if built_n else "-"
        print(
            f"{name:10}{total:>8}{built_n:>7}{skip_n:>9}{killed:>8}{warned:>8}"
            f"{built_n - killed - warned:>10}{rate:>11}"
        )
    print(f"\n({time.perf_counter() - began:.1f} s)  Not killed:")
    print("\n".join(lost) or "  none")
    return 0


def _family(api: str) -> str:
    return {"responses": "responses", "anthropic": "anthropic"}.get(api, "openai")


def _line(family: str, mutant: Mutant, verdict: Verdict) -> str:
    state = "KILLED" if verdict.killed else "WARNED" if verdict.warned_only else "SURVIVED"
    extra = (
        f" (fails: {', '.join(sorted(verdict.failed))})"
        if verdict.failed and not verdict.killed
        else ""
    )
    return f"  {NAMES[family]:9} {state:8} {mutant.id} [{', '.join(mutant.kills)}]{extra}"


if __name__ == "__main__":
    raise SystemExit(main())
