"""A target that echoes the key encoded (URL-encoded in a body and a Location header,
\\u-escaped in a JSON string, base64 at any alignment, split across stream deltas): no form
a client could decode back reaches the cassette, the reports or the terminal."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from llmconform.engine.redaction import redact
from llmconform.evidence import cassette

from server import KEY, HostileServer, key_encodings

CASES = ["chat.basic", "error.missing_model", "stream.basic"]
FORMATS = ["json", "junit", "markdown", "html"]
_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{12,}")


def _decoded(text: str) -> list[str]:
    """`text` and what a client could decode out of it."""
    out = [text, unquote(text), re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text)]
    for token in _TOKEN.findall(text):
        for skip in range(4):
            core = token[skip:]
            core = core[: len(core) - 1] if len(core) % 4 == 1 else core
            core += "=" * (-len(core) % 4)
            for alt in (core, core.replace("-", "+").replace("_", "/")):
                with contextlib.suppress(ValueError):
                    out.append(base64.b64decode(alt, validate=True).decode("latin-1"))
    return out


def _leaks(text: str) -> bool:
    return any(KEY in form for form in _decoded(text))


@pytest.fixture(scope="module")
def run(hostile: HostileServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("encoded")
    out = tmp / "out"
    env = {**os.environ, "LLMCONFORM_API_KEY": KEY, "NO_COLOR": "1", "COLUMNS": "200"}
    args = [sys.executable, "-m", "llmconform", "run", "--target", hostile.base("echo_encoded")]
    args += ["--model", "hostile-model", "-k", " or ".join(CASES), "--out", str(out), "-v"]
    args += [f"--format={f}" for f in FORMATS]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, cwd=tmp)
    assert done.returncode in (1, 3), done.stderr[-3000:]
    return out, done.stdout + done.stderr


def test_the_probe_itself_finds_every_encoding() -> None:
    for form in key_encodings(KEY).values():
        assert _leaks(f'{{"m": "x {form} y"}}'), form


def test_no_encoded_key_in_any_file_or_the_terminal(run: tuple[Path, str]) -> None:
    out, terminal = run
    assert not _leaks(terminal)
    for path in sorted(out.iterdir()):
        assert not _leaks(path.read_text(encoding="utf-8")), path.name
    for captures in cassette.load(out / "cassette.jsonl").cases.values():
        for capture in captures:
            assert not _leaks(capture.body.decode("utf-8", "replace")), capture.request.path
            assert not any(_leaks(v) for _, v in capture.headers)


def test_key_split_across_stream_deltas_is_removed_from_the_cassette(
    hostile: HostileServer, tmp_path: Path
) -> None:
    env = {**os.environ, "LLMCONFORM_API_KEY": KEY, "NO_COLOR": "1"}
    args = [sys.executable, "-m", "llmconform", "run", "--target", hostile.base("echo_sse_split")]
    args += ["--model", "hostile-model", "-k", "stream.basic", "--out", str(tmp_path / "o")]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    tape = cassette.load(tmp_path / "o" / "cassette.jsonl")
    (capture,) = tape.cases["stream.basic"]
    deltas = [
        json.loads(line[5:])["choices"][0]["delta"].get("content", "")
        for line in capture.body.decode().splitlines()
        if line.startswith("data: {")
    ]
    joined = "".join(deltas)
    assert joined.startswith("Your key is ") and KEY not in joined and "[REDACTED]" in joined
    assert len(capture.chunks) >= 1 and not _leaks(capture.body.decode())


def test_redact_removes_partly_encoded_and_base64_forms() -> None:
    mixed = KEY[:5] + "%" + KEY[5].encode().hex() + KEY[6:9] + f"\\u{ord(KEY[9]):04x}" + KEY[10:]
    assert redact(f"a {mixed} b", KEY) == "a [REDACTED] b"
    for form in key_encodings(KEY).values():
        assert not _leaks(redact(f"[{form}]", KEY)), form
