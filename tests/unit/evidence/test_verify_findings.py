"""An honest run whose cases have findings verifies: messages read the same from the cassette.

Property findings quote the request body; the cassette must give it back exactly as it was
sent (key order included), or verify recomputes a different message and rejects the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from llmconform.cli.main import main
from llmconform.evidence import cassette
from llmconform.model import Capture, Request
from llmconform.reference.server import serve_in_thread

from broken_servers import BrokenApp, Fault

# Answers every client error with 200 (the error body kept): each invalid property sample
# becomes a PROP-002/PROP-004 finding that quotes its request.
invalid_ok_app = BrokenApp(
    Fault("invalid_ok", status=lambda s: 200 if 400 <= s < 500 else s, api_key=False), None
)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def property_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prop")
    server = serve_in_thread(invalid_ok_app)
    try:
        result = invoke("run", "--target", server.url + "/v1", "-k", "prop", "--out", str(out))
    finally:
        server.stop()
    assert result.exit_code == 1, result.output
    return out


def test_cassette_keeps_the_request_key_order() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
    cap = Capture(Request("POST", "/chat/completions", json=body), 200, (), (), t_sent_ns=0)
    back = cassette.loads(cassette.dumps({}, {"c": [cap]})).cases["c"][0]
    assert list(back.request.json) == ["model", "messages", "max_tokens"]


def test_run_with_property_findings_verifies(property_run: Path) -> None:
    report = json.loads((property_run / "report.json").read_text())
    case = next(c for c in report["cases"] if c["case_id"] == "prop.invalid_requests")
    quoted = [f["message"] for f in case["findings"] if "request: {" in f["message"]]
    assert case["outcome"] == "fail" and quoted, case

    result = invoke("verify", "--allow-filtered", str(property_run / "report.json"))
    assert result.exit_code == 0, result.output
    assert "verified" in result.output
    # The run only exercises the key order if some sample was sent with unsorted keys.
    tape = cassette.load(property_run / "cassette.jsonl")
    bodies = [c.request.json for c in tape.cases["prop.invalid_requests"]]
    assert any(isinstance(b, dict) and list(b) != sorted(b) for b in bodies)
