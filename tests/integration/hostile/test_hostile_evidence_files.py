"""Crafted evidence (a cassette given to replay, a report or signature given to verify, a
report given to `report`) is refused with exit 2 and one line, never a traceback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from llmconform.cli.main import main

FIXTURE = Path(__file__).parents[2] / "fixtures" / "cassettes" / "reference.jsonl"
DEEP = 100_000


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real report and cassette (a replay of the reference fixture, one case)."""
    out = tmp_path_factory.mktemp("rec") / "out"
    result = _cli(["run", "--target", f"replay:{FIXTURE}", "-k", "chat.basic", "--out", str(out)])
    assert result.exit_code in (0, 1), result.output
    return out


def _cli(args: list[str]) -> Result:
    return CliRunner().invoke(main, args, catch_exceptions=True)


def _refused(result: Result) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output[-2000:], result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def _exchange_edit(edit: Callable[[dict[str, Any]], None]) -> Callable[[list[str]], list[str]]:
    def apply(lines: list[str]) -> list[str]:
        row = json.loads(lines[1])
        edit(row["exchanges"][0])
        return [lines[0], json.dumps(row), *lines[2:]]

    return apply


CASSETTE_EDITS: dict[str, Callable[[list[str]], list[str]]] = {
    "deep": lambda lines: [lines[0], "[" * DEEP + "]" * DEEP],
    "string_t_end": _exchange_edit(lambda x: x["response"].update(t_end_ns="soon")),
    "int_header_name": _exchange_edit(lambda x: x["response"].update(headers=[[1, "x"]])),
    "list_path": _exchange_edit(lambda x: x["request"].update(path=["v1", "chat"])),
    "int_error": _exchange_edit(lambda x: x["response"].update(error=7)),
    "bad_base64": _exchange_edit(lambda x: x["response"].update(chunks=[[0, "%%%"]])),
}


@pytest.mark.parametrize("name", [*CASSETTE_EDITS, "non_utf8"])
def test_crafted_cassette_is_refused_by_replay(tmp_path: Path, name: str) -> None:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "crafted.jsonl"
    if name == "non_utf8":
        path.write_bytes(lines[0].encode() + b"\n" + b'{"case_id": "\xff\xfe"}\n')
    else:
        path.write_text("\n".join(CASSETTE_EDITS[name](lines)) + "\n", encoding="utf-8")
    _refused(_cli(["run", "--target", f"replay:{path}", "--out", str(tmp_path / "o")]))


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


REPORT_EDITS: dict[str, Callable[[dict[str, Any]], None]] = {
    "options_deep": lambda o: o.update(extra=_deep(900)),
    "cassette_list": lambda o: o.update(cassette=["cassette.jsonl"]),
    "cassette_int": lambda o: o.update(cassette=7),
    "waivers_malformed": lambda o: o.update(waivers=[1, {"requirement": 2}]),
}


@pytest.mark.parametrize("name", list(REPORT_EDITS))
def test_crafted_report_is_refused_by_verify(recorded: Path, tmp_path: Path, name: str) -> None:
    shutil.copy(recorded / "cassette.jsonl", tmp_path / "cassette.jsonl")
    doc = json.loads((recorded / "report.json").read_text(encoding="utf-8"))
    REPORT_EDITS[name](doc["info"]["options"])
    (tmp_path / "report.json").write_text(json.dumps(doc), encoding="utf-8")
    _refused(_cli(["verify", str(tmp_path / "report.json")]))


def test_profiles_holding_a_dict_is_a_usage_error_not_a_traceback(
    recorded: Path, tmp_path: Path
) -> None:
    # As every other mistyped option (test_verify_options): no report a run wrote, exit 2.
    shutil.copy(recorded / "cassette.jsonl", tmp_path / "cassette.jsonl")
    doc = json.loads((recorded / "report.json").read_text(encoding="utf-8"))
    doc["info"]["options"]["profiles"] = [{"name": "x"}]
    (tmp_path / "report.json").write_text(json.dumps(doc), encoding="utf-8")
    result = _cli(["verify", str(tmp_path / "report.json"), "--allow-filtered"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "profiles" in result.output


def test_deeply_nested_filter_is_a_message_not_a_traceback(recorded: Path, tmp_path: Path) -> None:
    shutil.copy(recorded / "cassette.jsonl", tmp_path / "cassette.jsonl")
    doc = json.loads((recorded / "report.json").read_text(encoding="utf-8"))
    doc["info"]["options"]["filter"] = "(" * 5000 + "chat" + ")" * 5000
    (tmp_path / "report.json").write_text(json.dumps(doc), encoding="utf-8")
    result = _cli(["verify", str(tmp_path / "report.json"), "--allow-filtered"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "-k expression" in result.output and "nested too deeply" in result.output


@pytest.mark.parametrize("signature", [b"\xff\xfe not utf-8", ("[" * DEEP + "]" * DEEP).encode()])
def test_crafted_signature_is_a_usage_error_with_a_message(
    recorded: Path, tmp_path: Path, signature: bytes
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    for name in ("report.json", "cassette.jsonl"):
        shutil.copy(recorded / name, tmp_path / name)
    (tmp_path / "report.json.sig").write_bytes(signature)
    public = Ed25519PrivateKey.generate().public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "k.pub").write_bytes(pem)
    result = _cli(
        ["verify", str(tmp_path / "report.json"), "--public-key", str(tmp_path / "k.pub")]
    )
    # Not a signature document at all: a usage error, unlike a signature that does not match.
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "signature" in result.output


def test_report_with_an_infinite_number_is_refused(recorded: Path, tmp_path: Path) -> None:
    text = (recorded / "report.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    doc["info"]["options"]["timeout_s"] = 1.5
    crafted = json.dumps(doc).replace('"timeout_s": 1.5', '"timeout_s": 1e999')
    (tmp_path / "report.json").write_text(crafted, encoding="utf-8")
    _refused(_cli(["report", str(tmp_path / "report.json"), "--out", str(tmp_path / "o")]))
