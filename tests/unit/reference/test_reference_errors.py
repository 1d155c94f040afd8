"""Errors: validation, routing, auth, body cap and the last-resort 500, all in the envelope."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from llmconform.reference import create_app
from llmconform.reference.app import ReferenceApp
from llmconform.reference.asgi import HttpRequest, Response, StreamResponse
from llmconform.reference.router import Router
from llmconform.reference.settings import Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from unit.reference.conftest import Caller, Kit

MODEL = "llmconform-reference"
OK_MESSAGES = [{"role": "user", "content": "hi"}]


def assert_envelope(
    response: httpx.Response,
    status: int,
    *,
    param: str | None = None,
    code: str | None = None,
    type_: str = "invalid_request_error",
) -> dict[str, Any]:
    """The response is `status` with OpenAI's exact error envelope; return the error object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    assert error["type"] == type_
    assert error["param"] == param
    assert error["code"] == code
    return dict(error)


@pytest.mark.parametrize(
    "content",
    [b"{", b"", b"not json", b'{"model": NaN}', b"\xff\xfe{}", b"[" * 100_000],
)
def test_malformed_json_is_400(ref: Caller, kit: type[Kit], content: bytes) -> None:
    response = ref.request("POST", kit.CHAT, content=content)
    assert_envelope(response, 400)


@pytest.mark.parametrize("content", [b"[]", b'"text"', b"42", b"null"])
def test_body_must_be_an_object(ref: Caller, kit: type[Kit], content: bytes) -> None:
    assert_envelope(ref.request("POST", kit.CHAT, content=content), 400, code="invalid_type")


MISSING = [
    ({"messages": OK_MESSAGES}, "model"),
    ({"model": "", "messages": OK_MESSAGES}, "model"),
    ({"model": None, "messages": OK_MESSAGES}, "model"),
    ({"model": MODEL}, "messages"),
    ({"model": MODEL, "messages": [{"content": "x"}]}, "messages[0].role"),
    ({"model": MODEL, "messages": [{"role": "user"}]}, "messages[0].content"),
    ({"model": MODEL, "messages": [{"role": "system", "content": None}]}, "messages[0].content"),
    (
        {"model": MODEL, "messages": [{"role": "tool", "content": "r"}]},
        "messages[0].tool_call_id",
    ),
    (
        {"model": MODEL, "messages": [{"role": "user", "content": [{"text": "x"}]}]},
        "messages[0].content[0].type",
    ),
    (
        {"model": MODEL, "messages": [{"role": "user", "content": [{"type": "text"}]}]},
        "messages[0].content[0].text",
    ),
]


@pytest.mark.parametrize(("body", "param"), MISSING)
def test_missing_required_parameters(
    ref: Caller, kit: type[Kit], body: dict[str, Any], param: str
) -> None:
    response = ref.request("POST", kit.CHAT, json=body)
    assert_envelope(response, 400, param=param, code="missing_required_parameter")


INVALID = [
    # (extra body fields, param, code)
    ({"model": 5}, "model", "invalid_type"),
    ({"messages": "hi"}, "messages", "invalid_type"),
    ({"messages": []}, "messages", "empty_array"),
    ({"messages": ["hi"]}, "messages[0]", "invalid_type"),
    ({"messages": [{"role": "bot", "content": "x"}]}, "messages[0].role", "invalid_value"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content", "invalid_type"),
    ({"messages": [{"role": "user", "content": []}]}, "messages[0].content", "empty_array"),
    (
        {"messages": [{"role": "user", "content": [{"type": "video", "video": {}}]}]},
        "messages[0].content[0].type",
        "invalid_value",
    ),
    ({"temperature": 2.5}, "temperature", "decimal_above_max_value"),
    ({"temperature": -0.1}, "temperature", "decimal_below_min_value"),
    ({"temperature": "hot"}, "temperature", "invalid_type"),
    ({"temperature": True}, "temperature", "invalid_type"),
    ({"top_p": 1.5}, "top_p", "decimal_above_max_value"),
    ({"n": 0}, "n", "integer_below_min_value"),
    ({"n": 129}, "n", "integer_above_max_value"),
    ({"n": 1.5}, "n", "invalid_type"),
    ({"max_tokens": 0}, "max_tokens", "integer_below_min_value"),
    ({"max_tokens": -3}, "max_tokens", "integer_below_min_value"),
    ({"max_tokens": "10"}, "max_tokens", "invalid_type"),
    ({"max_tokens": True}, "max_tokens", "invalid_type"),
    ({"max_completion_tokens": 0}, "max_completion_tokens", "integer_below_min_value"),
    ({"stop": 5}, "stop", "invalid_type"),
    ({"stop": ["a", 1]}, "stop", "invalid_type"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "array_above_max_length"),
    ({"stream": "yes"}, "stream", "invalid_type"),
    ({"stream_options": {"include_usage": True}}, "stream_options", "invalid_value"),
    ({"stream": True, "stream_options": "usage"}, "stream_options", "invalid_type"),
    (
        {"stream": True, "stream_options": {"include_usage": "yes"}},
        "stream_options.include_usage",
        "invalid_type",
    ),
    ({"presence_penalty": 2.1}, "presence_penalty", "decimal_above_max_value"),
    ({"frequency_penalty": -2.1}, "frequency_penalty", "decimal_below_min_value"),
    ({"logit_bias": [1, 2]}, "logit_bias", "invalid_type"),
    ({"logit_bias": {"1": 101}}, "logit_bias", "invalid_value"),
    ({"logprobs": "true"}, "logprobs", "invalid_type"),
    ({"top_logprobs": 2}, "top_logprobs", "invalid_value"),
    ({"logprobs": True, "top_logprobs": 21}, "top_logprobs", "integer_above_max_value"),
    ({"tools": {"type": "function"}}, "tools", "invalid_type"),
    ({"response_format": {"type": "yaml"}}, "response_format.type", "invalid_value"),
]


@pytest.mark.parametrize(("extra", "param", "code"), INVALID)
def test_invalid_parameters(
    ref: Caller, kit: type[Kit], extra: dict[str, Any], param: str, code: str
) -> None:
    body = {"model": MODEL, "messages": OK_MESSAGES, **extra}
    assert_envelope(ref.request("POST", kit.CHAT, json=body), 400, param=param, code=code)


def test_unknown_model_is_404(ref: Caller) -> None:
    response = ref.request(
        "POST", "/v1/chat/completions", json={"model": "gpt-nope", "messages": OK_MESSAGES}
    )
    error = assert_envelope(response, 404, code="model_not_found")
    assert "gpt-nope" in error["message"]


def test_echoed_values_are_bounded(ref: Caller) -> None:
    response = ref.request(
        "POST", "/v1/chat/completions", json={"model": "x" * 10_000, "messages": OK_MESSAGES}
    )
    assert len(assert_envelope(response, 404, code="model_not_found")["message"]) < 400


@pytest.mark.parametrize(
    "path", ["/v1/nothing", "/chat/completions", "/v1/chat/completions/x", "/"]
)
def test_unknown_route_is_404(ref: Caller, path: str) -> None:
    assert_envelope(ref.request("POST", path, json={}), 404)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/v1/chat/completions", "POST"),
        ("DELETE", "/v1/chat/completions", "POST"),
        ("POST", "/v1/models", "GET"),
        ("PUT", "/v1/models/llmconform-reference", "GET"),
    ],
)
def test_wrong_method_is_405(ref: Caller, method: str, path: str, allow: str) -> None:
    response = ref.request(method, path)
    assert_envelope(response, 405)
    assert response.headers["allow"] == allow


def test_body_over_the_cap_is_413(kit: type[Kit]) -> None:
    caller = kit.Caller(create_app(max_body_bytes=1000))
    big = {"model": MODEL, "messages": [{"role": "user", "content": "x" * 2000}]}
    assert_envelope(caller.request("POST", kit.CHAT, json=big), 413, code="request_too_large")
    small = {"model": MODEL, "messages": [{"role": "user", "content": "x" * 100}]}
    assert caller.request("POST", kit.CHAT, json=small).status_code == 200


def test_body_cap_without_content_length(kit: type[Kit]) -> None:
    # Chunked uploads carry no Content-Length: the cap must hold while reading.
    caller = kit.Caller(create_app(max_body_bytes=1000))

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 100

    response = caller.request("POST", kit.CHAT, content=chunks())  # type: ignore[arg-type]
    assert_envelope(response, 413, code="request_too_large")


AUTH_CASES = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Bearer wrong-key",
    "Basic c2stdGVzdA==",
    "bearer sk-test-0123456789abcdeX",
]


@pytest.mark.parametrize("header", AUTH_CASES)
def test_bad_or_missing_key_is_401(ref_auth: Caller, kit: type[Kit], header: str | None) -> None:
    headers = {} if header is None else {"authorization": header}
    for method, path in (("POST", kit.CHAT), ("GET", "/v1/models"), ("GET", "/v1/nope")):
        response = ref_auth.request(method, path, json={}, headers=headers)
        error = assert_envelope(response, 401, code="invalid_api_key")
        assert kit.API_KEY not in response.text
        assert "wrong-key" not in error["message"]
        assert "abcdeX" not in error["message"]


def test_right_key_passes(ref_auth: Caller, kit: type[Kit]) -> None:
    for scheme in ("Bearer", "bearer"):
        headers = {"authorization": f"{scheme} {kit.API_KEY}"}
        response = ref_auth.request("GET", "/v1/models", headers=headers)
        assert response.status_code == 200


def test_no_key_configured_accepts_any_authorization(ref: Caller) -> None:
    response = ref.request("GET", "/v1/models", headers={"authorization": "Bearer anything"})
    assert response.status_code == 200


def _app_with(handler: Any, api_key: str | None = None) -> ReferenceApp:
    router = Router()
    router.add("POST", "/boom", handler)
    return ReferenceApp(Settings(api_key=api_key), router)


def test_unexpected_exception_is_500_envelope_and_logged_without_secrets(
    kit: type[Kit], caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(request: HttpRequest) -> Response:
        raise RuntimeError("handler exploded")

    caller = kit.Caller(_app_with(boom, api_key=kit.API_KEY))
    with caplog.at_level(logging.ERROR, logger="llmconform.reference"):
        response = caller.request(
            "POST", "/boom", json={}, headers={"authorization": f"Bearer {kit.API_KEY}"}
        )
    assert_envelope(response, 500, type_="server_error")
    assert "handler exploded" not in response.text
    assert "RuntimeError" in caplog.text
    assert kit.API_KEY not in caplog.text


def test_exception_mid_stream_does_not_escape(kit: type[Kit]) -> None:
    async def events() -> AsyncIterator[bytes]:
        yield b"data: {}\n\n"
        raise RuntimeError("mid-stream failure")

    async def streaming(request: HttpRequest) -> Response:
        return StreamResponse(events())

    sent = kit.run(kit.drive(_app_with(streaming), {}, path="/boom"))
    assert sent[0].message["status"] == 200
    assert [s.message["type"] for s in sent[1:]] == ["http.response.body"]


def test_client_gone_before_body_sends_nothing(kit: type[Kit]) -> None:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": kit.CHAT, "headers": []}

    async def call() -> None:
        await create_app()(scope, receive, send)

    kit.run(call())
    assert sent == []
