"""Recorded runs of real third-party servers, replayed: exactly the expected findings appear.

Each folder of tests/fixtures/interop holds a cassette recorded by interop/run.py from a real
server (pinned version, its own claims) and `expected.yaml`: every requirement that run must
fail or warn, each with a one-line reason. A missing finding is a regression (a real
deviation no longer caught); an extra one is a false alarm to fix, or a real deviation to
document in expected.yaml with its evidence. No network and no server: the replay re-judges
the recorded answers with today's checks.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from llmconform.model import Outcome, RunReport
from llmconform.run.runner import execute_run
from llmconform.settings import RunSettings
from llmconform.transport.targets import open_target

INTEROP = Path(__file__).resolve().parents[2] / "fixtures" / "interop"
SERVERS = sorted(p.name for p in INTEROP.iterdir() if (p / "cassette.jsonl").is_file())


def replay(name: str, out: Path) -> RunReport:
    """The report a replay of the server's recording gives today."""
    settings = RunSettings(target=f"replay:{INTEROP / name / 'cassette.jsonl'}", out_dir=out)
    with open_target(settings.target) as target:
        return execute_run(settings, target, Console(file=io.StringIO()))


def requirements_with(report: RunReport, outcome: Outcome) -> set[str]:
    """The requirements that reached `outcome` in the report."""
    return {r.requirement.id for r in report.requirements if r.outcome is outcome}


def expected(name: str) -> dict[str, Any]:
    data = yaml.safe_load((INTEROP / name / "expected.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_at_least_six_real_servers_are_recorded() -> None:
    assert len(SERVERS) >= 6, SERVERS


@pytest.mark.parametrize("name", SERVERS)
def test_every_finding_is_expected_and_explained(name: str, tmp_path: Path) -> None:
    report = replay(name, tmp_path)
    want = expected(name)
    for key in ("fail", "warn"):
        for requirement, reason in (want.get(key) or {}).items():
            assert isinstance(reason, str) and reason.strip(), f"{requirement}: no reason"
    got_fail = requirements_with(report, Outcome.FAIL)
    got_warn = requirements_with(report, Outcome.WARN)
    assert got_fail == set(want.get("fail") or {}), "failed requirements changed"
    assert got_warn == set(want.get("warn") or {}), "warned requirements changed"
    assert {c.case_id for c in report.cases if c.outcome is Outcome.ERROR} == set(
        want.get("error_cases") or {}
    )
