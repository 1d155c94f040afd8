#!/usr/bin/env python3
"""Draft or check tests/fixtures/interop/<name>/expected.yaml from a recording's replay.

    python interop/expected.py NAME ...        # print what the replay finds, beside expected.yaml
    python interop/expected.py --draft NAME    # write a draft expected.yaml (reasons to curate)

A draft's reasons are the first finding message of each requirement: a maintainer replaces
each with why the server deviates (and a link to its own issue where one exists), or fixes
the check when the finding is a false alarm.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

import yaml
from rich.console import Console

from llmconform.model import Outcome, RunReport
from llmconform.run.runner import execute_run
from llmconform.settings import RunSettings
from llmconform.transport.targets import open_target

INTEROP = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "interop"


def replay(name: str) -> RunReport:
    """Re-judge the server's recording with today's checks."""
    with tempfile.TemporaryDirectory() as out:
        settings = RunSettings(
            target=f"replay:{INTEROP / name / 'cassette.jsonl'}", out_dir=Path(out)
        )
        with open_target(settings.target) as target:
            return execute_run(settings, target, Console(file=io.StringIO()))


def found(report: RunReport) -> dict[str, dict[str, str]]:
    """Requirement id -> first message, for failed and warned requirements."""
    first: dict[str, str] = {}
    for case in report.cases:
        for finding in case.findings:
            first.setdefault(finding.requirement, f"{case.case_id}: {finding.message}"[:160])
    out: dict[str, dict[str, str]] = {"fail": {}, "warn": {}}
    for result in report.requirements:
        key = {Outcome.FAIL: "fail", Outcome.WARN: "warn"}.get(result.outcome)
        if key:
            out[key][result.requirement.id] = first.get(result.requirement.id, "")
    return out


def main() -> None:
    """Print (or with --draft, write) each named server's findings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draft", action="store_true")
    parser.add_argument("names", nargs="+")
    args = parser.parse_args()
    for name in args.names:
        report = replay(name)
        now = found(report)
        errors = sorted(c.case_id for c in report.cases if c.outcome is Outcome.ERROR)
        if args.draft:
            doc = {"server": name, **now, "error_cases": {e: "to explain" for e in errors}}
            text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
            (INTEROP / name / "expected.yaml").write_text(text, encoding="utf-8")
        yaml.safe_dump({name: {**now, "error_cases": errors}}, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
