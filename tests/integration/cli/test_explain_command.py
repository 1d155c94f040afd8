"""`llmconform explain ID`: requirements and cases from the packaged catalog."""

from __future__ import annotations

from click.testing import CliRunner, Result

from llmconform.catalog.loader import load_catalog
from llmconform.checks import known_checks
from llmconform.cli.explain import cases_for
from llmconform.cli.main import main
from llmconform.model import Level


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, ["explain", *args], catch_exceptions=False)


def test_a_requirement_shows_its_rationale_profiles_and_cases() -> None:
    result = invoke("STREAM-003")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("STREAM-003  MUST  area stream")
    assert "data: [DONE]" in out  # brackets survive: the text is escaped, not read as markup
    assert "Why it matters" in out and "hang" in out
    assert "chat-streaming" in out
    assert "stream.basic" in out and "checks: stream.done" in out


def test_the_listed_cases_are_those_whose_checks_report_on_it() -> None:
    catalog = load_catalog(known_checks=known_checks())
    found = cases_for("STREAM-003", catalog)
    ids = {case.id for case, _ in found}
    assert "stream.basic" in ids and "chat.basic" not in ids
    assert all(names == ["stream.done"] for _, names in found)
    out = invoke("STREAM-003").output
    assert f"Tested by {len(found)} case(s)" in out


def test_requirement_ids_are_matched_case_insensitively() -> None:
    assert invoke("stream-003").output.startswith("STREAM-003")


def test_unknown_id_suggests_close_ids_and_exits_2() -> None:
    result = invoke("STREM-003")
    assert result.exit_code == 2
    assert "did you mean" in result.stderr and "STREAM-003" in result.stderr
    far = invoke("zzzz-nothing")
    assert far.exit_code == 2 and "llmconform list" in far.stderr


def test_a_case_shows_its_requests_checks_and_requirements() -> None:
    result = invoke("stream.basic")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Request 1  POST /chat/completions" in out
    assert '"stream": true' in out
    assert "stream.done:" in out
    assert "STREAM-003" in out and "MUST" in out


def test_a_scenario_case_says_so() -> None:
    out = invoke("tools.round_trip").output
    assert "scenario: chat_tool_round_trip" in out and "TOOLS-008" in out


def test_err_001_states_what_is_checked_on_every_error_case() -> None:
    # error.envelope reports ERR-001 on every error case (an unknown model, an out-of-range
    # value, a wrong key), not only on malformed requests: an error behind a 2xx status.
    catalog = load_catalog(known_checks=known_checks())
    ids = {case.id for case, _ in cases_for("ERR-001", catalog)}
    assert {"error.unknown_model", "error.temperature_out_of_range", "auth.invalid_key"} <= ids
    req = catalog.requirements["ERR-001"]
    assert req.level is Level.MUST
    assert req.statement.startswith("An error is never answered with a 2xx status")
    out = " ".join(invoke("ERR-001").output.split())
    assert out.startswith("ERR-001 MUST area errors An error is never answered with a 2xx status")
