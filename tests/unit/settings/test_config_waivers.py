"""llmconform.yaml (precedence, validation), waivers and CI baselines from the outside."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from llmconform.cli.main import main
from llmconform.errors import ConfigError
from llmconform.settings.config_file import (
    check_baseline_cases,
    check_waiver_requirements,
    default_map,
    parse_config,
)

from broken_servers import no_done_app  # noqa: F401  (importable as asgi:broken_servers:…)

TODAY = dt.date.today()


def run_in(folder: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    cwd = Path.cwd()
    try:
        os.chdir(folder)
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("concurency: 2\n", "unknown key 'concurency'"),
        ("concurrency: zero\n", "concurrency must be a positive integer"),
        ("capabilities: n\n", "capabilities must be a list"),
        ("waivers: [{requirement: X}]\n", "exactly the keys requirement, reason, expires"),
        ("waivers: [{requirement: X, reason: r, expires: soon}]\n", "YYYY-MM-DD"),
        ("- a\n- b\n", "mapping"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_bad_config_is_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_config(text, "llmconform.yaml")


def test_config_maps_to_option_defaults() -> None:
    cfg = parse_config("requests: 50\nconcurrency: 2\nwaivers: []\n")
    assert default_map(cfg) == {"n_requests": 50, "concurrency": 2}


def test_precedence_flag_over_env_over_file(tmp_path: Path) -> None:
    (tmp_path / "llmconform.yaml").write_text("concurrency: 3\nout: from-file\n")
    r = run_in(tmp_path, "run", "-k", "models.list", "--json")
    assert json.loads(r.stdout)["info"]["options"]["concurrency"] == 3
    r = run_in(tmp_path, "run", "-k", "models.list", "--json", env={"LLMCONFORM_CONCURRENCY": "5"})
    assert json.loads(r.stdout)["info"]["options"]["concurrency"] == 5
    r = run_in(
        tmp_path,
        "run",
        "-k",
        "models.list",
        "--json",
        "--concurrency",
        "7",
        env={"LLMCONFORM_CONCURRENCY": "5"},
    )
    assert json.loads(r.stdout)["info"]["options"]["concurrency"] == 7
    assert (tmp_path / "from-file" / "report.json").is_file()


def test_json_goes_to_stdout_alone(tmp_path: Path) -> None:
    # `--json | jq`: the report on stdout, nothing on stderr for a plain run.
    r = run_in(tmp_path, "run", "-k", "models.list", "--json", "--out", "out")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["verdict"] == "pass"
    assert r.stderr == ""


def test_config_and_baseline_files_that_are_not_utf8_exit_2(tmp_path: Path) -> None:
    (tmp_path / "llmconform.yaml").write_bytes(b"\xff\xfe x\n")
    r = run_in(tmp_path, "run", "-q")
    assert r.exit_code == 2 and "not UTF-8" in r.output and "Traceback" not in r.output
    (tmp_path / "llmconform.yaml").unlink()
    (tmp_path / "known.yaml").write_bytes(b"\xff\xfe x\n")
    r = run_in(tmp_path, "run", "-q", "--baseline", "known.yaml")
    assert r.exit_code == 2 and "not UTF-8" in r.output and "Traceback" not in r.output


def test_bad_config_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("timeout: -1\n")
    r = run_in(tmp_path, "run", "--config", "bad.yaml")
    assert r.exit_code == 2 and "timeout must be" in r.output


@pytest.mark.parametrize(
    ("text", "key", "envvar"),
    [
        ("deadline: 99999999\n", "deadline", "LLMCONFORM_DEADLINE"),
        ("concurrency: 1000\n", "concurrency", "LLMCONFORM_CONCURRENCY"),
        ("requests: 200000\n", "requests", "LLMCONFORM_REQUESTS"),  # file key != flag name
        ("warmup: 5000\n", "warmup", None),
    ],
)
def test_an_out_of_range_value_names_where_it_came_from(
    tmp_path: Path, text: str, key: str, envvar: str | None
) -> None:
    (tmp_path / "llmconform.yaml").write_text(text)
    r = run_in(tmp_path, "run", "--dry-run")
    assert r.exit_code == 2, r.output
    # The file is named as found (an absolute path when picked up from the current folder).
    assert f"Invalid value for '{key}' in " in r.output
    assert f"{tmp_path / 'llmconform.yaml'}:" in r.output.replace("\n", "")
    assert "env var" not in r.output
    if envvar is None:
        return
    value = text.split(": ")[1].strip()
    flag = "--requests" if key == "requests" else f"--{key}"
    r = run_in(tmp_path, "run", "--dry-run", env={envvar: value})
    assert r.exit_code == 2 and f"(env var: '{envvar}')" in r.output
    assert "llmconform.yaml" not in r.output
    r = run_in(tmp_path, "run", "--dry-run", flag, value, env={envvar: "1"})
    assert r.exit_code == 2 and f"Invalid value for '{flag}':" in r.output
    assert "env var" not in r.output and "llmconform.yaml" not in r.output


def test_init_writes_a_valid_starter(tmp_path: Path) -> None:
    assert run_in(tmp_path, "init").exit_code == 0
    parse_config((tmp_path / "llmconform.yaml").read_text())
    assert run_in(tmp_path, "init").exit_code == 2  # no silent overwrite


def _broken_run(tmp_path: Path, *extra: str) -> tuple[Result, dict]:  # type: ignore[type-arg]
    r = run_in(
        tmp_path,
        "run",
        "--target",
        "asgi:broken_servers:no_done_app",
        "-k",
        "stream.basic or chat.basic",
        "--out",
        "out",
        *extra,
    )
    return r, json.loads((tmp_path / "out" / "report.json").read_text())


def test_waiver_shows_waived_and_never_certifies(tmp_path: Path) -> None:
    until = (TODAY + dt.timedelta(days=30)).isoformat()
    (tmp_path / "llmconform.yaml").write_text(
        f"waivers:\n  - {{requirement: STREAM-003, reason: fix in 2.4, expires: {until}}}\n"
    )
    r, report = _broken_run(tmp_path)
    assert r.exit_code == 0, r.output
    case = next(c for c in report["cases"] if c["case_id"] == "stream.basic")
    assert case["outcome"] == "warn"
    assert any(f["message"].startswith("WAIVED (fix in 2.4") for f in case["findings"])
    streaming = next(p for p in report["profiles"] if p["name"] == "chat-streaming")
    assert (
        streaming["verdict"] == "not-certified" and "waiver never certifies" in streaming["reason"]
    )
    assert report["info"]["options"]["waivers"][0]["status"] == "applied"
    verified = run_in(tmp_path, "verify", "out/report.json", "--allow-filtered")
    assert verified.exit_code == 0, verified.output


def test_a_waiver_for_an_unknown_requirement_is_a_usage_error(tmp_path: Path) -> None:
    # A typo would waive nothing and only ever read "unused": refused when the file is read,
    # expired or not, before anything is planned or sent (--dry-run).
    (tmp_path / "llmconform.yaml").write_text(
        "waivers:\n"
        "  - {requirement: STREAM-003, reason: known, expires: 2999-01-01}\n"
        "  - {requirement: STREAM-03, reason: typo, expires: 2020-01-01}\n"
    )
    r = run_in(tmp_path, "run", "--dry-run")
    assert r.exit_code == 2, r.output
    assert "waivers[1]" in r.output and "unknown requirement 'STREAM-03'" in r.output
    assert "did you mean STREAM-003" in r.output and "Traceback" not in r.output
    (tmp_path / "llmconform.yaml").write_text(
        "waivers: [{requirement: NO-SUCH-THING, reason: r, expires: 2999-01-01}]\n"
    )
    r = run_in(tmp_path, "run", "--dry-run")
    assert r.exit_code == 2 and "unknown requirement 'NO-SUCH-THING'" in r.output
    assert "llmconform list --requirements" in r.output


def test_waiver_requirements_are_checked_against_the_known_ids() -> None:
    waivers = parse_config(
        "waivers: [{requirement: stream-003, reason: r, expires: 2999-01-01}]\n"
    )["waivers"]
    with pytest.raises(ConfigError, match="did you mean STREAM-003"):
        check_waiver_requirements(waivers, {"STREAM-003", "STREAM-004"}, "f.yaml")
    check_waiver_requirements(waivers[:0], {"STREAM-003"}, "f.yaml")


def test_expired_waiver_is_ignored_and_said_so(tmp_path: Path) -> None:
    (tmp_path / "llmconform.yaml").write_text(
        "waivers:\n  - {requirement: STREAM-003, reason: old, expires: 2020-01-01}\n"
    )
    r, report = _broken_run(tmp_path)
    assert r.exit_code == 1
    assert "expired on 2020-01-01" in r.output
    assert report["info"]["options"]["waivers"][0]["status"] == "expired"


def test_baseline_changes_only_the_exit_code(tmp_path: Path) -> None:
    r, _ = _broken_run(tmp_path, "--write-baseline", "known.yaml")
    assert r.exit_code == 1
    assert "stream.basic" in (tmp_path / "known.yaml").read_text()
    r, report = _broken_run(tmp_path, "--baseline", "known.yaml")
    assert r.exit_code == 0, r.output
    assert report["verdict"] == "fail"  # the report itself is unchanged
    (tmp_path / "stale.yaml").write_text("known_failures: [stream.basic, chat.basic]\n")
    r, _ = _broken_run(tmp_path, "--baseline", "stale.yaml")
    assert r.exit_code == 1 and "stale baseline entry" in r.output and "chat.basic" in r.output
    (tmp_path / "empty.yaml").write_text("known_failures: []\n")
    r, _ = _broken_run(tmp_path, "--baseline", "empty.yaml")
    assert r.exit_code == 1 and "new failure" in r.output


def test_paths_in_a_config_file_are_relative_to_the_file(tmp_path: Path) -> None:
    settings = tmp_path / "settings"
    settings.mkdir()
    (settings / "known.yaml").write_text("known_failures: []\n")
    (settings / "llmconform.yaml").write_text("out: reports-here\nbaseline: known.yaml\n")
    work = tmp_path / "work"
    work.mkdir()
    config = str(settings / "llmconform.yaml")
    r = run_in(work, "run", "--config", config, "-k", "models.list", "-q")
    assert r.exit_code == 0, r.output
    assert (settings / "reports-here" / "report.json").is_file()
    assert not (work / "reports-here").exists()


def test_baseline_cases_get_the_waivers_rule() -> None:
    known = {"chat.basic", "stream.basic"}
    check_baseline_cases(["chat.basic"], known, "known.yaml")
    with pytest.raises(ConfigError, match=r"unknown case 'Chat.basik'; did you mean chat.basic\?"):
        check_baseline_cases(["Chat.basik"], known, "known.yaml")
    with pytest.raises(ConfigError, match="no case is close"):
        check_baseline_cases(["zzz"], known, "known.yaml")
