"""checks.errors, checks.models, checks.http: status codes, envelopes, model listings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmconform.checks import Unverifiable

from core_helpers import capture, chunk, completion, reqs, run_check, sse

ENVELOPE = {
    "error": {
        "message": "bad",
        "type": "invalid_request_error",
        "param": "model",
        "code": None,
    }
}
MODEL: dict[str, Any] = {"id": "m", "object": "model", "created": 1_700_000_000, "owned_by": "me"}
MODEL_LIST = {"object": "list", "data": [MODEL]}


@pytest.mark.parametrize(
    ("check", "status", "expected"),
    [
        ("error.client_status", 400, []),
        ("error.client_status", 422, []),
        ("error.client_status", 200, ["ERR-001"]),
        ("error.client_status", 500, ["ERR-001"]),
        ("error.client_status", None, ["ERR-001"]),
        ("error.not_5xx", 400, []),
        ("error.not_5xx", 200, []),
        ("error.not_5xx", 503, ["ERR-002"]),
        ("error.rejects", 400, []),
        ("error.rejects", 500, []),  # a 5xx is error.not_5xx's finding
        ("error.rejects", 200, ["ERR-003"]),
        ("auth.rejected", 401, []),
        ("auth.rejected", 403, ["AUTH-001"]),
        ("auth.rejected", 200, ["AUTH-001"]),
        ("http.ok", 200, []),
        ("http.ok", 201, ["HTTP-001"]),
    ],
)
def test_status_checks(check: str, status: int | None, expected: list[str]) -> None:
    assert reqs(run_check(check, capture(ENVELOPE, status=status))) == expected


def test_error_status_uses_the_expected_codes() -> None:
    assert run_check("error.status", capture(ENVELOPE, status=400)) == []  # default 400
    assert reqs(run_check("error.status", capture(ENVELOPE, status=422))) == ["ERR-004"]
    args = {"expect": [404, 400]}
    assert run_check("error.status", capture(ENVELOPE, status=404), args=args) == []
    [issue] = run_check("error.status", capture(ENVELOPE, status=500), args=args)
    assert issue.message == "expected status 404 or 400, got 500"


def envelope(body: Any, status: int = 400, **kw: Any) -> list[str]:
    return reqs(run_check("error.envelope", capture(body, status=status, **kw)))


def test_envelope_good() -> None:
    assert envelope(ENVELOPE) == []
    assert envelope(ENVELOPE, status=404) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"detail": "Not Found"}, ["ERR-005"]),  # FastAPI's default
        ({"error": "bad key"}, ["ERR-005"]),  # a bare string
        ({"message": "bad", "code": 400}, ["ERR-005"]),  # flat fields
        ({"error": {"message": "bad"}}, ["ERR-006"]),  # no type/param/code: a SHOULD
        ({"error": {"message": "bad", "type": None, "param": None, "code": None}}, ["ERR-006"]),
        # LiteLLM: param is the string "None"; llama-server: an integer code (and no param).
        (
            {"error": {"message": "x", "type": "auth_error", "param": "None", "code": "401"}},
            ["ERR-007"],
        ),
        (
            {"error": {"message": "x", "type": "authentication_error", "code": 401}},
            ["ERR-006", "ERR-007"],
        ),
        ({"error": {"message": "x", "type": "t", "param": "model", "code": "model_not_found"}}, []),
    ],
)
def test_envelope_shapes(body: Any, expected: list[str]) -> None:
    assert envelope(body) == expected


def test_envelope_content_type() -> None:
    assert envelope(ENVELOPE, content_type="text/html") == ["ERR-005"]


def test_envelope_error_body_behind_a_success_status() -> None:
    issues = run_check("error.envelope", capture(ENVELOPE, status=200))
    assert [(i.requirement, i.path) for i in issues] == [("ERR-001", "$.error")]
    # A success body, or a body that is not JSON, is left to the status checks.
    assert envelope(completion(), status=200) == []
    assert envelope(b"<html>", status=200) == []


@pytest.mark.parametrize(
    "body",
    [
        {"detail": "Not Found"},  # FastAPI's default
        {"detail": [{"loc": ["body", "model"], "msg": "field required"}]},  # its 422 shape
        {"object": "error", "message": "bad", "type": "BadRequestError", "code": 400},  # vLLM's
    ],
)
def test_envelope_any_error_shape_behind_a_success_status(body: Any) -> None:
    # However the error is spelled, a 200 hides it from the SDKs: the MUST of ERR-001.
    assert envelope(body, status=200) == ["ERR-001"]


def test_envelope_error_event_in_a_success_stream() -> None:
    # A stream request whose error comes back as a 200 event stream: the SDK iterates the
    # stream and never raises.
    body = sse({"error": {"message": "no such model", "type": "invalid_request_error"}})
    issues = run_check("error.envelope", capture(body, status=200, stream=True))
    assert reqs(issues) == ["ERR-001"]
    assert "status 200" in issues[0].message
    # Also when the server forgets the event-stream Content-Type, or sends `event: error`.
    assert envelope(body, status=200, stream=True, content_type="text/plain") == ["ERR-001"]
    named = b'event: error\ndata: {"detail": "Not Found"}\n\n'
    assert envelope(named, status=200, stream=True) == ["ERR-001"]


@pytest.mark.parametrize("empty", [None, False, "", {}])
def test_an_empty_error_field_beside_a_result_is_not_an_error_body(empty: Any) -> None:
    assert envelope({**completion(), "error": empty}, status=200) == []


def test_envelope_success_stream_and_null_error_are_not_error_bodies() -> None:
    ok = sse(chunk({"role": "assistant", "content": "Hi"}), chunk({}, finish_reason="stop"))
    assert envelope(ok, status=200, stream=True) == []
    # `"error": null` next to a result is a success (the request was accepted: ERR-003's
    # finding when it should not have been), not an error sent with a 200.
    assert envelope(completion(error=None), status=200) == []


def test_envelope_needs_json_on_an_error_status() -> None:
    with pytest.raises(Unverifiable):
        run_check("error.envelope", capture(b"Internal Server Error", status=500))


def test_http_json() -> None:
    assert run_check("http.json", capture(completion())) == []
    wrong_type = capture(completion(), content_type="text/plain")
    assert reqs(run_check("http.json", wrong_type)) == ["HTTP-002"]
    with pytest.raises(Unverifiable, match="not JSON"):
        run_check("http.json", capture(b"{truncated"))


def test_http_json_must_be_utf8() -> None:
    # RFC 8259 §8.1: JSON between systems is UTF-8. json.loads(bytes) would guess UTF-16/32
    # (with or without a BOM), which clients do not.
    for encoding in ("utf-16", "utf-16-le", "utf-32"):
        body = json.dumps(completion()).encode(encoding)
        # UTF-16-LE of ASCII text is valid UTF-8 (NUL bytes), just not JSON.
        with pytest.raises(Unverifiable, match="not JSON"):
            run_check("http.json", capture(body))
    # The policy before strict decoding is kept: a UTF-8 BOM is skipped.
    bom = b"\xef\xbb\xbf" + json.dumps(completion()).encode()
    assert run_check("http.json", capture(bom)) == []


def test_models_list() -> None:
    assert run_check("models.list", capture(MODEL_LIST)) == []
    assert reqs(run_check("models.list", capture(MODEL_LIST, status=404))) == ["MODELS-001"]
    bare = run_check("models.list", capture([MODEL]))
    assert bare and set(reqs(bare)) == {"MODELS-001"}


def test_models_created_in_milliseconds() -> None:
    # Same rule and level as chat (CHAT-002, MUST): datetime.fromtimestamp() fails on these.
    in_ms = {**MODEL, "created": MODEL["created"] * 1000}
    listing = {"object": "list", "data": [MODEL, in_ms, in_ms]}
    [issue] = run_check("models.list", capture(listing))
    assert (issue.requirement, issue.path) == ("CHAT-002", "$.data[1].created")
    assert "milliseconds" in issue.message and "2 of 3" in issue.message
    [issue] = run_check("models.retrieve", capture(in_ms), model="m")
    assert (issue.requirement, issue.path) == ("CHAT-002", "$.created")
    # A model's creation date is long past (or 0 when unknown): no CHAT-003 "about now" rule.
    past = {"object": "list", "data": [{**MODEL, "created": 0}, {**MODEL, "created": 1}]}
    assert run_check("models.list", capture(past)) == []


def test_models_lists_model() -> None:
    assert run_check("models.lists_model", capture(MODEL_LIST), model="m") == []
    [issue] = run_check("models.lists_model", capture(MODEL_LIST), model="other")
    assert (issue.requirement, issue.path) == ("MODELS-002", "$.data")
    assert "'other' is not among the 1 listed" in issue.message
    # No model under test (discovery failed): nothing to look for.
    assert run_check("models.lists_model", capture(MODEL_LIST), model="") == []


def test_models_retrieve() -> None:
    assert run_check("models.retrieve", capture(MODEL), model="m") == []
    assert reqs(run_check("models.retrieve", capture(MODEL, status=404), model="m")) == [
        "MODELS-003"
    ]
    [issue] = run_check("models.retrieve", capture(MODEL), model="other")
    assert (issue.requirement, issue.path) == ("MODELS-003", "$.id")
    bad = run_check("models.retrieve", capture({"id": "m"}), model="m")
    assert bad and set(reqs(bad)) == {"MODELS-003"}
