"""`llmconform list` filters and JSON, `validate --help`, and shell completion of names."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner, Result

from llmconform.cli.main import main


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_list_filters_by_keyword_and_profile_and_prints_json() -> None:
    everything = json.loads(invoke("list", "--json").output)["cases"]
    streamed = json.loads(invoke("list", "--json", "-k", "stream and not sdk").output)["cases"]
    ids = {c["id"] for c in streamed}
    assert ids and len(ids) < len(everything)
    assert all("stream" in i and "sdk" not in i for i in ids)
    assert "stream.basic" in ids and "chat.basic" not in ids
    profile = json.loads(invoke("list", "--json", "--profile", "chat-streaming").output)["cases"]
    assert profile and all("chat-streaming" in c["profiles"] for c in profile)
    reqs = json.loads(
        invoke("list", "--requirements", "--json", "--profile", "chat-streaming").output
    )
    assert {r["id"] for r in reqs["requirements"]} >= {"STREAM-003"}
    assert all("chat-streaming" in r["profiles"] for r in reqs["requirements"])


def test_list_rejects_an_unknown_profile_and_a_bad_filter() -> None:
    result = CliRunner().invoke(main, ["list", "--profile", "chat-strem"])
    assert result.exit_code == 2 and "did you mean chat-streaming" in result.output
    assert CliRunner().invoke(main, ["list", "-k", "stream and"]).exit_code == 2


def test_list_columns_fit_the_longest_id() -> None:
    lines = [line for line in invoke("list").output.splitlines() if line and "  " in line]
    rows = [line for line in lines if not line[0].isdigit()]
    longest = max(len(line.split("  ")[0]) for line in rows)
    # Every title starts in the same column, after the longest id and two spaces.
    assert {len(line) - len(line[longest:].lstrip()) for line in rows} == {longest + 2}


def test_validate_help_lists_the_kinds() -> None:
    text = invoke("validate", "--help").output
    for kind in ("chat.completion", "sse", "anthropic.sse", "responses.sse", "embedding.list"):
        assert kind in text


def complete(words: str) -> list[str]:
    """What the shell would offer for the last word of `llmconform WORDS`."""
    env = {
        **os.environ,
        "_LLMCONFORM_COMPLETE": "bash_complete",
        "COMP_WORDS": f"llmconform {words}",
        "COMP_CWORD": str(len(words.split(" "))),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from llmconform.cli.main import main; main(prog_name='llmconform')",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines() if "," in line]


def test_shell_completion_offers_profiles_capabilities_and_ids() -> None:
    assert "chat-streaming" in complete("run --profile chat-s")
    assert "json_schema" in complete("run --capability js")
    assert "stream.basic" in complete("run -k stream.b")
    assert "STREAM-003" in complete("explain STREAM-00")
    assert "chat.basic" in complete("explain chat.ba")
    assert "chat-core" in complete("list --profile chat-c")
    assert "sse" in complete("validate x --as ss")
