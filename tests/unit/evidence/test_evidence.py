"""Record, replay, verify and sign: tampering of any kind is caught, secrets never recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from llmconform.cli.main import main
from llmconform.evidence import cassette
from llmconform.evidence.signing import SignatureError, generate_keypair, sign, verify
from llmconform.model import BodyChunk, Capture, Request
from llmconform.reference.app import create_app
from llmconform.reference.server import serve_in_thread

from broken_servers import no_done_app
from support import TEST_KEY


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recorded run against the reference served with a key (chat API only, for speed)."""
    out = tmp_path_factory.mktemp("run")
    server = serve_in_thread(create_app(api_key=TEST_KEY))
    try:
        result = invoke(
            "run",
            "--target",
            server.url + "/v1",
            "--capability",
            "n",
            "--out",
            str(out),
            env={"LLMCONFORM_API_KEY": TEST_KEY},
        )
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    return out


def copy_run(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for name in ("report.json", "cassette.jsonl"):
        (dst / name).write_bytes((src / name).read_bytes())
    return dst


def test_capture_round_trip_is_exact_and_redacted() -> None:
    key = "sk-live-abcdef123456"
    cap = Capture(
        Request("GET", "/models?api_key=" + key, headers=(("x-custom", "v"),)),
        200,
        (("set-cookie", "s=1"), ("x-echo", key)),
        (BodyChunk(105, b'{"k": "' + key.encode() + b'"}'), BodyChunk(220, b"\n")),
        t_sent_ns=100,
        sent_at=1.5,
        t_headers_ns=104,
        t_end_ns=230,
    )
    text = cassette.dumps({"model": "m"}, {"c": [cap]}, secrets=(key,))
    assert key not in text
    back = cassette.loads(text).cases["c"][0]
    assert [c.t_ns for c in back.chunks] == [5, 120] and back.t_end_ns == 130
    assert back.body == b'{"k": "[REDACTED]"}\n'
    assert dict(back.headers)["set-cookie"] == "[REDACTED]"
    assert back.request.path == "/models?api_key=[REDACTED]"
    assert back.reconnected is None and "reconnected" not in text  # ordinary runs unchanged


def test_a_retry_on_a_new_connection_is_kept_in_the_cassette() -> None:
    key = "sk-live-abcdef123456"
    cap = Capture(
        Request("GET", "/models"),
        200,
        (),
        (),
        t_sent_ns=0,
        reconnected=f"Server disconnected without sending a response ({key})",
    )
    text = cassette.dumps({"model": "m"}, {"c": [cap]}, secrets=(key,))
    back = cassette.loads(text).cases["c"][0]
    assert back.reconnected == "Server disconnected without sending a response ([REDACTED])"


def test_cassette_is_recorded_hashed_and_free_of_the_key(recorded: Path) -> None:
    text = (recorded / "cassette.jsonl").read_text()
    assert TEST_KEY not in text
    report = json.loads((recorded / "report.json").read_text())
    assert report["info"]["options"]["cassette"]["sha256"] == cassette.sha256_file(
        recorded / "cassette.jsonl"
    )


def test_replay_reproduces_outcomes_offline(recorded: Path, tmp_path: Path) -> None:
    result = invoke(
        "run", "--target", f"replay:{recorded / 'cassette.jsonl'}", "--out", str(tmp_path)
    )
    assert result.exit_code == 0, result.output
    a = json.loads((recorded / "report.json").read_text())
    b = json.loads((tmp_path / "report.json").read_text())

    def outcomes(r: dict[str, Any]) -> dict[str, tuple[str, int]]:
        return {c["case_id"]: (c["outcome"], len(c["findings"])) for c in r["cases"]}

    assert outcomes(a) == outcomes(b)


def test_replay_of_a_broken_server_keeps_its_failures(tmp_path: Path) -> None:
    server = serve_in_thread(no_done_app)
    try:
        first = invoke(
            "run", "--target", server.url + "/v1", "-k", "stream", "--out", str(tmp_path / "live")
        )
    finally:
        server.stop()
    assert first.exit_code == 1
    again = invoke(
        "run",
        "--target",
        f"replay:{tmp_path / 'live' / 'cassette.jsonl'}",
        "-k",
        "stream",
        "--out",
        str(tmp_path / "replay"),
    )
    assert again.exit_code == 1
    for name in ("live", "replay"):
        report = json.loads((tmp_path / name / "report.json").read_text())
        assert {c["case_id"]: c["outcome"] for c in report["cases"]}["stream.basic"] == "fail"


def test_untouched_run_verifies(recorded: Path) -> None:
    result = invoke("verify", str(recorded / "report.json"))
    assert result.exit_code == 0, result.output
    assert "verified" in result.output


def _edit_report(run: Path, fn: object) -> None:
    path = run / "report.json"
    doc = json.loads(path.read_text())
    fn(doc)  # type: ignore[operator]
    path.write_text(json.dumps(doc, indent=2))


def _flip_first_pass(doc: dict) -> None:  # type: ignore[type-arg]
    case = next(c for c in doc["cases"] if c["outcome"] == "pass" and c["case_id"] != "x")
    case["outcome"] = "fail"


def _drop_finding_case(doc: dict) -> None:  # type: ignore[type-arg]
    doc["cases"].pop(0)


def _other_edition(doc: dict) -> None:  # type: ignore[type-arg]
    doc["info"]["edition"] = "2025.01"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_flip_first_pass, "report says fail"),
        (_drop_finding_case, "missing from the report"),
        (_other_edition, "edition 2025.01"),
    ],
)
def test_edited_report_is_rejected(
    recorded: Path, tmp_path: Path, edit: object, expected: str
) -> None:
    run = copy_run(recorded, tmp_path / "run")
    _edit_report(run, edit)
    result = invoke("verify", str(run / "report.json"))
    assert result.exit_code == 1
    assert expected in result.output


def test_edited_cassette_is_rejected(recorded: Path, tmp_path: Path) -> None:
    run = copy_run(recorded, tmp_path / "run")
    path = run / "cassette.jsonl"
    text = path.read_text()
    path.write_text(text.replace('"status": 200', '"status": 201', 1))
    result = invoke("verify", str(run / "report.json"))
    assert result.exit_code == 1
    assert "hash" in result.output


def test_missing_evidence_is_rejected(recorded: Path, tmp_path: Path) -> None:
    run = copy_run(recorded, tmp_path / "run")
    lines = (run / "cassette.jsonl").read_text().split("\n")
    (run / "cassette.jsonl").write_text("\n".join(lines[:1] + lines[2:]))
    result = invoke("verify", str(run / "report.json"))
    assert result.exit_code == 1
    assert "no evidence" in result.output


def test_signature_detects_any_changed_byte() -> None:
    private, public = generate_keypair()
    data = b'{"verdict": "pass"}\n'
    doc = sign(data, private)
    verify(data, doc, public)
    for i in range(len(data)):
        tampered = data[:i] + bytes([data[i] ^ 1]) + data[i + 1 :]
        with pytest.raises(SignatureError):
            verify(tampered, doc, public)
    _, other = generate_keypair()
    with pytest.raises(SignatureError, match="different key"):
        verify(data, doc, other)


def test_keygen_sign_verify_cli(recorded: Path, tmp_path: Path) -> None:
    run = copy_run(recorded, tmp_path / "run")
    assert invoke("keygen", "--out", str(tmp_path / "keys")).exit_code == 0
    key, pub = tmp_path / "keys" / "llmconform.key", tmp_path / "keys" / "llmconform.pub"
    assert key.stat().st_mode & 0o777 == 0o600
    assert invoke("sign", str(run / "report.json"), "--key", str(key)).exit_code == 0
    ok = invoke("verify", str(run / "report.json"), "--public-key", str(pub))
    assert ok.exit_code == 0, ok.output
    report = run / "report.json"
    report.write_bytes(report.read_bytes().replace(b'"pass"', b'"pazz"', 1))
    bad = invoke("verify", str(report), "--public-key", str(pub))
    assert bad.exit_code == 1
    assert "changed after it was signed" in bad.output


@pytest.mark.parametrize("cut", range(1, 20))
def test_key_split_across_chunks_is_scrubbed_and_chunks_kept(cut: int) -> None:
    key = "sk-split-0123456789"
    body = b'{"echo": "Bearer ' + key.encode() + b'", "more": "' + key.encode() + b'"}'
    at = body.index(key.encode()) + cut
    parts = [body[:at], body[at : at + 3], body[at + 3 :]]
    out = cassette.scrub_chunks(parts, (key,))
    assert len(out) == 3
    joined = b"".join(out)
    assert key.encode() not in joined
    assert joined == body.replace(key.encode(), b"[REDACTED]")


def test_configured_header_is_redacted_from_the_cassette(tmp_path: Path) -> None:
    result = invoke(
        "run",
        "-k",
        "models.list",
        "--api",
        "openai",
        "--redact-header",
        "X-Request-Id",
        "--out",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    tape = cassette.load(tmp_path / "cassette.jsonl")
    headers = dict(tape.cases["models.list"][0].headers)
    assert headers["x-request-id"] == "[REDACTED]"
    assert headers["content-type"] != "[REDACTED]"
