"""What a run leaves in its report folder, and list-valued environment variables."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from llmconform.cli.main import main

QUICK = ("--api", "openai", "-k", "models")  # a few cases against the embedded reference


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_format_adds_to_report_json_which_is_always_written(tmp_path: Path) -> None:
    result = invoke(
        "run", *QUICK, "--format", "markdown", "--format", "html", "--out", str(tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.json").is_file()  # what report, verify and sign read
    assert (tmp_path / "report.md").is_file() and (tmp_path / "report.html").is_file()
    assert not (tmp_path / "junit.xml").exists()  # asked-for formats replace json+junit
    again = invoke("report", str(tmp_path / "report.json"), "--format", "markdown")
    assert again.exit_code == 0, again.output


def test_a_reused_folder_keeps_no_stale_file_of_an_earlier_run(tmp_path: Path) -> None:
    first = invoke("run", *QUICK, "--format", "html", "--out", str(tmp_path))
    assert first.exit_code == 0 and (tmp_path / "report.html").is_file()
    # As an earlier run with failing property cases would have left it.
    (tmp_path / "failing-examples.jsonl").write_text("{}\n")
    (tmp_path / "badge-chat-core.svg").write_text("<svg/>")
    (tmp_path / "notes.txt").write_text("mine")  # not llmconform's: never touched
    (tmp_path / "report.json.bak").write_text("mine too")
    second = invoke("run", *QUICK, "--no-record", "--out", str(tmp_path))
    assert second.exit_code == 0, second.output
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"report.json", "junit.xml", "notes.txt", "report.json.bak"}


def test_list_variables_accept_commas_and_spaces(tmp_path: Path) -> None:
    for value in (
        "chat-core,chat-streaming",
        "chat-core, chat-streaming",
        "chat-core chat-streaming",
    ):
        result = invoke(
            "run",
            "--dry-run",
            "--json",
            env={"LLMCONFORM_PROFILES": value, "LLMCONFORM_APIS": "openai,"},
        )
        assert result.exit_code == 0, (value, result.output)
        assert "unknown profile" not in result.output
        assert '"chat-streaming"' in result.output and '"chat-core"' in result.output


def test_an_asgi_module_in_the_current_folder_imports_without_pythonpath(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "cwd_served_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "server.py").write_text(
        "from llmconform.reference.app import create_app\napp = create_app()\n"
    )
    monkeypatch.chdir(tmp_path)
    # As under the `llmconform` script: neither '' nor the current folder is on sys.path.
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    try:
        result = invoke(
            "run", "--target", "asgi:cwd_served_pkg.server:app", *QUICK, "--out", "reports"
        )
    finally:
        for name in [m for m in sys.modules if m.startswith("cwd_served_pkg")]:
            del sys.modules[name]
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "report.json").is_file()


def test_an_asgi_module_that_cannot_be_imported_says_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "--target", "asgi:no_such_pkg_here.server:app", "--out", "r")
    assert result.exit_code == 2
    assert "current folder" in result.output and str(tmp_path) in result.output
