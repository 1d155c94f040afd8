"""verify checks the set of cases: none of those the report's options select may be left out.

The tampering here is the consistent kind: cases dropped from both the report and the
cassette, the cassette hash updated, and the report rebuilt from what is left (verdicts,
requirements and profiles exactly what the remaining evidence gives). Only the case set can
give it away.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from llmconform.catalog.loader import load_catalog
from llmconform.checks import known_checks
from llmconform.cli.main import main
from llmconform.engine.aggregate import build_report
from llmconform.engine.select import FilterError, keyword_names, run_cases, selected
from llmconform.evidence import cassette
from llmconform.pytest.conformance_run import ConformanceRun
from llmconform.report import dumps, loads
from llmconform.run.guards import no_plugin_autoload
from llmconform.run.runner import pytest_args
from llmconform.settings import RunSettings

from broken_servers import no_done_app

CATALOG = load_catalog(known_checks=known_checks())


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _record(out: Path, *args: str) -> Path:
    from llmconform.reference.server import serve_in_thread

    server = serve_in_thread(no_done_app)
    try:
        result = invoke("run", "--target", server.url + "/v1", "--out", str(out), *args)
    finally:
        server.stop()
    assert result.exit_code == 1, result.output  # streams without [DONE]: failures
    return out


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole OpenAI run against a server whose streams lack `data: [DONE]`."""
    return _record(tmp_path_factory.mktemp("full"), "--api", "openai")


@pytest.fixture(scope="module")
def filtered_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _record(tmp_path_factory.mktemp("filtered"), "-k", "stream")


def outcomes(run: Path) -> dict[str, str]:
    doc = json.loads((run / "report.json").read_text())
    return {c["case_id"]: c["outcome"] for c in doc["cases"]}


def drop_cases(src: Path, dst: Path, drop: set[str], **options: object) -> Path:
    """Remove `drop` from both files, re-hash the cassette, rebuild the report from the rest
    (and set `options` in it, as someone claiming a different run would)."""
    dst.mkdir()
    lines = (src / "cassette.jsonl").read_text().splitlines(keepends=True)
    kept = [ln for ln in lines[1:] if json.loads(ln)["case_id"] not in drop]
    (dst / "cassette.jsonl").write_text("".join([lines[0], *kept]))
    report = loads((src / "report.json").read_bytes())
    opts = dict(report.info.options)
    opts["cassette"] = {**opts["cassette"], "sha256": cassette.sha256_file(dst / "cassette.jsonl")}
    opts.update(options)
    rebuilt = build_report(
        replace(report.info, options=opts),
        [c for c in report.cases if c.case_id not in drop],
        CATALOG.requirements,
        strict=bool(opts["strict"]),
        profiles=list(opts["profiles"]) or None,
        # As the run builds it: anything less is a difference verify finds on its own.
        profile_apis=CATALOG.profile_apis,
        case_requires={c.id: c.requires for c in CATALOG.cases.values()},
    )
    (dst / "report.json").write_text(dumps(rebuilt))
    return dst


def test_untouched_failing_run_verifies(failing_run: Path) -> None:
    result = invoke("verify", str(failing_run / "report.json"))
    assert result.exit_code == 0, result.output


def test_failing_cases_removed_from_both_files_are_caught(
    failing_run: Path, tmp_path: Path
) -> None:
    failing = {cid for cid, outcome in outcomes(failing_run).items() if outcome == "fail"}
    assert failing
    run = drop_cases(failing_run, tmp_path / "run", failing)
    result = invoke("verify", str(run / "report.json"))
    assert result.exit_code == 1, result.output
    for case_id in failing:
        assert f"case {case_id} is missing from the report" in result.output
    assert "verdict" not in result.output  # the rebuilt verdicts are consistent: only the set


def test_a_case_skipped_for_a_capability_must_stay_in_the_report(
    failing_run: Path, tmp_path: Path
) -> None:
    skipped = next(cid for cid, outcome in outcomes(failing_run).items() if outcome == "skip")
    run = drop_cases(failing_run, tmp_path / "run", {skipped})
    result = invoke("verify", str(run / "report.json"))
    assert result.exit_code == 1
    assert f"case {skipped} is missing from the report" in result.output


def test_a_filtered_run_is_checked_against_its_filter(filtered_run: Path, tmp_path: Path) -> None:
    ok = invoke("verify", "--allow-filtered", str(filtered_run / "report.json"))
    assert ok.exit_code == 0, ok.output
    assert "stream.basic" in outcomes(filtered_run)
    run = drop_cases(filtered_run, tmp_path / "run", {"stream.basic"})
    result = invoke("verify", "--allow-filtered", str(run / "report.json"))
    assert result.exit_code == 1
    assert "case stream.basic is missing from the report" in result.output


def test_cases_the_claimed_filter_does_not_select_are_caught(
    failing_run: Path, tmp_path: Path
) -> None:
    run = drop_cases(failing_run, tmp_path / "run", set(), filter="models")
    result = invoke("verify", "--allow-filtered", str(run / "report.json"))
    assert result.exit_code == 1
    assert "case stream.basic is in the report but the run's APIs" in result.output


def test_a_report_claiming_other_capabilities_or_model_is_caught(
    failing_run: Path, tmp_path: Path
) -> None:
    # Un-declaring a capability turns its failing cases into 'skipped' ones in a rebuilt
    # report; the cassette header, written by the run, still names what was declared.
    report = loads((failing_run / "report.json").read_bytes())
    fewer = tuple(c for c in report.info.capabilities if c != "streaming")
    assert fewer != report.info.capabilities
    for name, info in (
        ("capabilities", replace(report.info, capabilities=fewer)),
        ("model", replace(report.info, model="another-model")),
    ):
        run = tmp_path / name
        run.mkdir()
        (run / "cassette.jsonl").write_bytes((failing_run / "cassette.jsonl").read_bytes())
        (run / "report.json").write_text(dumps(replace(report, info=info)))
        result = invoke("verify", str(run / "report.json"))
        assert result.exit_code == 1, result.output
        assert f"info.{name}:" in result.output


class _Collected:
    """A pytest plugin keeping the items a collection ends with."""

    def __init__(self) -> None:
        self.items: list[pytest.Item] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)


def _pytest_selection(keyword: str | None, apis: list[str] | None = None) -> list[pytest.Item]:
    """The items an embedded run's pytest keeps: every case (or those `selected` for
    `apis`), then its own `-k` deselection."""
    run = ConformanceRun(
        RunSettings(),
        case_filter=lambda case: apis is None or selected(case, CATALOG, apis, []),
    )
    collected = _Collected()
    with no_plugin_autoload():
        status = pytest.main([*pytest_args(keyword), "--collect-only"], plugins=[run, collected])
    assert status in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
    return collected.items


def test_keyword_names_are_the_names_pytest_matches() -> None:
    from _pytest.mark import KeywordMatcher

    items = _pytest_selection(None)
    assert len(items) == len(CATALOG.cases)
    for item in items:
        expected = {n for n in KeywordMatcher.from_item(item)._names}
        assert set(keyword_names(CATALOG.cases[item.name], CATALOG)) == expected, item.name


@pytest.mark.parametrize(
    "keyword", ["stream", "not stream and chat", "profile", "LLMCONFORM/openai", "  models"]
)
def test_run_cases_selects_what_pytest_k_selects(keyword: str) -> None:
    everything = ["openai", "responses", "anthropic"]
    ours = sorted(c.id for c in run_cases(CATALOG, everything, [], keyword))
    assert ours
    assert ours == sorted(i.name for i in _pytest_selection(keyword, everything))


def test_run_cases_refuses_what_pytest_refuses() -> None:
    with pytest.raises(FilterError):
        run_cases(CATALOG, ["openai"], [], "stream and (")


def test_a_run_without_the_sdks_verifies_and_replays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain `pip install` has no SDKs: their cases are skipped with no evidence, and the
    # cassette says why, so verify and a replay accept the skips instead of erroring.
    import sys

    monkeypatch.setitem(sys.modules, "openai", None)
    monkeypatch.setitem(sys.modules, "anthropic", None)
    out = tmp_path / "run"
    ran = invoke("run", "-k", "sdk or chat.basic", "--out", str(out), "--record")
    assert ran.exit_code == 0, ran.output
    assert {c for c, o in outcomes(out).items() if c.startswith("sdk")} and all(
        o == "skip" for c, o in outcomes(out).items() if c.startswith("sdk")
    )
    header = json.loads((out / "cassette.jsonl").read_text().splitlines()[0])
    assert header["sdks_missing"] == ["anthropic", "openai"]
    verified = invoke("verify", "--allow-filtered", str(out / "report.json"))
    assert verified.exit_code == 0, verified.output
    replay = tmp_path / "replay"
    again = invoke(
        "run",
        "--target",
        f"replay:{out / 'cassette.jsonl'}",
        "--api",
        "all",
        "-k",
        "sdk or chat.basic",
        "--out",
        str(replay),
    )
    assert again.exit_code == 0, again.output
    assert outcomes(replay) == outcomes(out)


def test_a_replay_tests_the_apis_its_recording_run_tested(tmp_path: Path) -> None:
    # A replay target's own default would be OpenAI only: 2/3 of a reference run unjudged.
    out = tmp_path / "run"
    ran = invoke("run", "-k", "basic", "--out", str(out), "--record")
    assert ran.exit_code == 0, ran.output
    recorded = outcomes(out)
    apis = {c["api"] for c in json.loads((out / "report.json").read_text())["cases"]}
    assert {"anthropic-messages", "open-responses"} <= apis
    again = invoke(
        "run",
        "--target",
        f"replay:{out / 'cassette.jsonl'}",
        "-k",
        "basic",
        "--out",
        str(tmp_path / "replay"),
    )
    assert again.exit_code == 0, again.output
    assert outcomes(tmp_path / "replay") == recorded
