"""The command line from the outside: exit codes, messages, reports, targets."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from llmconform.cli.main import main
from llmconform.engine.plan import ALL_CAPABILITIES
from llmconform.reference.app import create_app
from llmconform.reference.server import RunningServer, serve_in_thread
from llmconform.run.output import with_report_folder
from llmconform.settings import RunSettings

from support import TEST_KEY, RecordPaths


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def case_outcomes(out: Path) -> dict[str, str]:
    report = json.loads((out / "report.json").read_text())
    return {c["case_id"]: c["outcome"] for c in report["cases"]}


@pytest.fixture
def served() -> Iterator[RunningServer]:
    """The reference served over HTTP with the test key, as `serve-reference` would."""
    server = serve_in_thread(create_app(api_key=TEST_KEY, restricted_key=RESTRICTED))
    yield server
    server.stop()


RESTRICTED = "sk-restricted-cli-test-0123456789"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_default_run_against_embedded_reference_passes(tmp_path: Path) -> None:
    result = invoke("run", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "CONFORMANT" in result.output
    assert str(tmp_path / "report.json") in result.output
    outcomes = case_outcomes(tmp_path)
    assert len(outcomes) >= 30
    assert set(outcomes.values()) == {"pass"}
    assert (tmp_path / "junit.xml").read_text().startswith("<?xml")


def test_served_reference_gives_the_same_outcomes_as_embedded(
    tmp_path: Path, served: RunningServer
) -> None:
    assert invoke("run", "--out", str(tmp_path / "a")).exit_code == 0
    # The embedded reference declares every capability and API; say the same for the URL.
    caps = [arg for cap in sorted(ALL_CAPABILITIES) for arg in ("--capability", cap)]
    result = invoke(
        "run",
        "--target",
        served.url + "/v1",
        "--api",
        "all",
        *caps,
        "--restricted-key-env",
        "RESTRICTED_KEY",
        "--out",
        str(tmp_path / "b"),
        env={"LLMCONFORM_API_KEY": TEST_KEY, "RESTRICTED_KEY": RESTRICTED},
    )
    assert result.exit_code == 0, result.output
    assert case_outcomes(tmp_path / "a") == case_outcomes(tmp_path / "b")


def test_model_is_discovered_when_not_given(tmp_path: Path, served: RunningServer) -> None:
    result = invoke(
        "run",
        "--target",
        served.url + "/v1",
        "--out",
        str(tmp_path),
        env={"LLMCONFORM_API_KEY": TEST_KEY},
    )
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["info"]["model"] == "llmconform-reference"
    # n>1 is not declared for a live target, so those cases are skipped with a reason.
    skipped = {c["case_id"]: c["reason"] for c in report["cases"] if c["outcome"] == "skip"}
    assert "chat.n_choices" in skipped and "--capability n" in skipped["chat.n_choices"]
    assert result.exit_code == 0


def test_broken_asgi_target_exits_1_with_failures(tmp_path: Path) -> None:
    result = invoke("run", "--target", "asgi:broken_servers:no_done_app", "--out", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert "STREAM-003" in result.output
    assert case_outcomes(tmp_path)["stream.basic"] == "fail"


def test_unreachable_target_exits_3_with_one_clear_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    result = invoke("run", "--target", url, "--model", "m", "--out", str(tmp_path))
    assert result.exit_code == 3
    assert "cannot reach" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "0"], "concurrency"),
        (["--target", "ftp://example"], "unknown target"),
        (["--target", "http://127.0.0.1:9/v1?api-version=2024-10-21"], "without '?"),
        (["--target", "http://127.0.0.1:9/v1#x"], "without '?"),
        (["--capability", "telepathy"], "unknown capability"),
        (["--api-key-env", "LLMCONFORM_TEST_UNSET_VAR"], "not set"),
        (["-k", "stream and"], "invalid -k"),
        (["-k", "zzz_no_such_case"], "no case matches"),
        (["--format", "pdf"], "pdf"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = invoke("run", "--out", str(tmp_path), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_unknown_accuracy_set_in_a_threshold_is_a_usage_error() -> None:
    # --dry-run: the threshold must be refused before anything is planned or sent.
    result = invoke("run", "--dry-run", "--accuracy-threshold", "arithmatic=0.9")
    assert result.exit_code == 2, result.output
    assert "unknown accuracy set 'arithmatic'" in result.output
    assert "arithmetic" in result.output.split("known")[-1]  # the known sets are listed
    assert invoke("run", "--dry-run", "--accuracy-threshold", "arithmetic=0.9").exit_code == 0
    for bad in ("arithmetic=0", "arithmetic=1.5", "arithmetic=nan", "arithmetic"):
        result = invoke("run", "--dry-run", "--accuracy-threshold", bad)
        assert result.exit_code == 2 and "0 < X <= 1" in result.output, bad


def test_filter_selects_cases(tmp_path: Path) -> None:
    result = invoke("run", "-k", "stream and not n_choices", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    ids = set(case_outcomes(tmp_path))
    assert "stream.basic" in ids and "error.unknown_model_stream" in ids
    assert all("stream" in i and "n_choices" not in i for i in ids)


def test_api_key_never_reaches_report_files_or_output(
    tmp_path: Path, served: RunningServer
) -> None:
    result = invoke(
        "run",
        "--target",
        served.url + "/v1",
        "--out",
        str(tmp_path),
        env={"LLMCONFORM_API_KEY": TEST_KEY},
    )
    assert result.exit_code == 0
    assert TEST_KEY not in result.output
    for path in tmp_path.iterdir():
        assert TEST_KEY not in path.read_text(), path.name


def test_list_shows_cases_and_requirements() -> None:
    cases = invoke("list")
    assert cases.exit_code == 0
    assert "stream.basic" in cases.output and "edition" in cases.output
    reqs = invoke("list", "--requirements")
    assert "STREAM-003" in reqs.output and "MUST" in reqs.output


def test_every_command_has_a_complete_short_help() -> None:
    # click cuts a docstring's first sentence at the width left in `--help` ("...") and at
    # the first period, so "(e.g. STREAM-003)" became "Explain a requirement (e.g.".
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None
        for limit in (45, 200):  # click's default, and room enough: the same complete text
            text = command.get_short_help_str(limit)
            assert text == command.get_short_help_str(200), (name, text)
            assert not text.endswith("..."), (name, text)
            assert text.count("(") == text.count(")"), (name, text)
            assert text.endswith("."), (name, text)
    listing = invoke("--help").output.split("Commands:")[1]
    assert "..." not in listing and "(e.g." not in listing


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0 and "edition" in result.output


def test_an_unwritable_report_folder_stops_the_run_before_any_request(tmp_path: Path) -> None:
    recorder = RecordPaths(create_app(api_key=TEST_KEY))
    server = serve_in_thread(recorder)
    try:
        (tmp_path / "a-file").write_text("")
        result = invoke(
            "run",
            "--target",
            server.url + "/v1",
            "--model",
            "m",
            "--out",
            str(tmp_path / "a-file" / "sub"),
            env={"LLMCONFORM_API_KEY": TEST_KEY},
        )
    finally:
        server.stop()
    assert result.exit_code == 2, result.output
    assert "cannot write the reports" in result.output and "--out" in result.output
    assert recorder.paths == []  # nothing was paid for


def test_runs_started_in_the_same_second_keep_their_own_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    stamp = "20261129T000000Z"
    (tmp_path / "reports" / stamp).mkdir(parents=True)  # another run's, this very second
    (tmp_path / "reports" / stamp / "report.json").write_text("{}")
    request = RunSettings(
        out_dir=Path("reports") / stamp,
        fresh_out=True,
        record=Path("reports") / stamp / "cassette.jsonl",
    )
    claimed = with_report_folder(request)
    assert claimed.out_dir == Path("reports") / f"{stamp}-2"
    assert claimed.record == claimed.out_dir / "cassette.jsonl"
    assert (tmp_path / "reports" / stamp / "report.json").read_text() == "{}"
    # An explicit --out is used as given, existing or not.
    given = with_report_folder(RunSettings(out_dir=Path("reports") / stamp))
    assert given.out_dir == Path("reports") / stamp


def test_a_bad_filter_is_refused_before_anything_starts(tmp_path: Path) -> None:
    result = invoke("run", "-k", "stream and", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "invalid -k expression" in result.output
    assert "Wrong expression" not in result.output  # pytest's own line, beside ours
    assert not (tmp_path / "out").exists()  # no run: no report folder either


def test_a_run_that_selects_nothing_leaves_no_report_folder(tmp_path: Path) -> None:
    result = invoke("run", "-k", "zzz_no_such_case", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "no case matches" in result.output
    assert not (tmp_path / "out").exists()
    kept = tmp_path / "kept"
    kept.mkdir()  # a folder that was there before is left alone
    assert invoke("run", "-k", "zzz_no_such_case", "--out", str(kept)).exit_code == 2
    assert kept.is_dir()
