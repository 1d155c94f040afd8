"""A misconfigured run (key, model, base URL) stops with one line and exit 2, never exit 1.

Against the reference served over HTTP: it is a correct server, so whatever refuses the run
here is the caller's setup, and a verdict of "NOT CONFORMANT" would blame the wrong party.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from llmconform.cli.main import main
from llmconform.reference.app import create_app
from llmconform.reference.server import RunningServer, serve_in_thread

from support import TEST_KEY, RecordPaths

SOME = ["-k", "chat.basic or stream.basic or auth.invalid_key or error.unknown_model"]


def invoke(*args: str, key: str | None = TEST_KEY) -> Result:
    env: dict[str, str | None] = {"LLMCONFORM_API_KEY": key, "NO_COLOR": "1"}
    return CliRunner().invoke(main, ["run", *args], env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def recorded() -> RecordPaths:
    return RecordPaths(create_app(api_key=TEST_KEY))


@pytest.fixture(scope="module")
def served(recorded: RecordPaths) -> Iterator[RunningServer]:
    server = serve_in_thread(recorded)
    yield server
    server.stop()


def _one_line(result: Result) -> str:
    assert "Traceback" not in result.output
    assert "NOT CONFORMANT" not in result.output
    return result.output


@pytest.mark.parametrize("model", [["--model", "llmconform-reference"], []])
@pytest.mark.parametrize(
    ("key", "needle"),
    [
        ("sk-wrong-key-0123456789", "the key in LLMCONFORM_API_KEY is not accepted"),
        (None, "no key is set: set LLMCONFORM_API_KEY"),
    ],
)
def test_a_refused_key_is_the_callers_problem(
    tmp_path: Path,
    served: RunningServer,
    recorded: RecordPaths,
    model: list[str],
    key: str | None,
    needle: str,
) -> None:
    recorded.paths.clear()
    result = invoke("--target", served.url + "/v1", *model, "--out", str(tmp_path), key=key)
    assert result.exit_code == 2, result.output
    assert needle in _one_line(result)
    assert "sk-wrong-key" not in result.output
    # Stopped before spending the run: a few first requests, not the whole suite.
    assert len(recorded.paths) < 12, recorded.paths
    assert not (tmp_path / "report.json").exists()


def test_a_model_the_target_does_not_serve_names_those_it_does(
    tmp_path: Path, served: RunningServer
) -> None:
    result = invoke("--target", served.url + "/v1", "--model", "nonexistent-model")
    assert result.exit_code == 2, result.output
    out = _one_line(result)
    assert "the model 'nonexistent-model' is not served" in out
    assert "GET /models lists llmconform-reference" in out


@pytest.mark.parametrize("model", [["--model", "llmconform-reference"], []])
def test_a_base_url_without_v1_asks_for_it(
    tmp_path: Path, served: RunningServer, model: list[str]
) -> None:
    result = invoke("--target", served.url, *model, "--out", str(tmp_path))
    assert result.exit_code == 2, result.output
    out = _one_line(result)
    assert "does the base URL end in /v1?" in out
    assert f"did you mean --target {served.url}/v1?" in out


def test_a_target_without_its_scheme_gets_a_suggestion(served: RunningServer) -> None:
    bare = served.url.removeprefix("http://") + "/v1"
    result = invoke("--target", bare)
    assert result.exit_code == 2, result.output
    assert f"did you mean http://{bare}?" in result.output


def test_a_correct_server_refusing_only_the_deliberate_cases_is_judged_normally(
    tmp_path: Path, served: RunningServer
) -> None:
    # The auth and error cases get 401 and 404 on purpose: that is conformance, not setup.
    result = invoke(
        "--target",
        served.url + "/v1",
        "--model",
        "llmconform-reference",
        *SOME,
        "--capability",
        "auth",  # claimed explicitly: a configured key claims nothing by itself
        "--out",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    outcomes = {c["case_id"]: c["outcome"] for c in report["cases"]}
    assert outcomes["auth.invalid_key"] == "pass" and outcomes["error.unknown_model"] == "pass"


def test_a_refused_connection_reads_the_same_with_or_without_a_model(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    lines = []
    for model in (["--model", "m"], []):
        result = invoke("--target", url, *model, "--out", str(tmp_path / str(len(model))))
        assert result.exit_code == 3, result.output
        lines.append(result.output.strip())
    assert lines[0] == lines[1]
    assert lines[0].startswith(f"error: cannot reach {url}: could not connect")
