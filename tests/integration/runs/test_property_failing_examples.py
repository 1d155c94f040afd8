"""A failing property example is saved on its own and can be replayed alone."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from llmconform.cli.main import main
from llmconform.evidence import cassette

from property_faults import broken_app
from support import TEST_KEY, run_against


def test_failing_examples_are_saved_alone_and_replay_to_the_same_findings(
    tmp_path: Path,
) -> None:
    record = tmp_path / "cassette.jsonl"
    report = run_against(
        broken_app("crash_on_invalid_utf8", TEST_KEY),
        keyword="prop",
        apis=frozenset({"openai"}),
        record=record,
    )
    case = next(c for c in report.cases if c.case_id == "prop.invalid_requests")
    failing = sorted({f.exchange for f in case.findings if f.outcome.value == "fail"})
    assert failing, "the fault must make some invalid examples fail"
    saved = cassette.load(tmp_path / "failing-examples.jsonl")
    assert list(saved.cases) == ["prop.invalid_requests"]
    assert len(saved.cases["prop.invalid_requests"]) == len(failing)
    assert report.info.options["failing_examples"]["path"] == "failing-examples.jsonl"

    out = tmp_path / "replay"
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--target",
            f"replay:{tmp_path / 'failing-examples.jsonl'}",
            "-k",
            "prop.invalid_requests",
            "--out",
            str(out),
            "--no-record",
        ],
    )
    assert result.exit_code == 1, result.output
    replayed = json.loads((out / "report.json").read_text())
    [again] = [c for c in replayed["cases"] if c["case_id"] == "prop.invalid_requests"]
    # Every saved example fails again, each on its own.
    assert sorted({f["exchange"] for f in again["findings"] if f["outcome"] == "fail"}) == list(
        range(len(failing))
    )
