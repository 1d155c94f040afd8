"""The reference server's router."""

from __future__ import annotations

import pytest

from llmconform.reference.asgi import HttpRequest, JsonResponse, Response
from llmconform.reference.errors import ApiError
from llmconform.reference.router import Router


async def _a(request: HttpRequest) -> Response:
    return JsonResponse("a")


async def _b(request: HttpRequest) -> Response:
    return JsonResponse("b")


def _router() -> Router:
    router = Router()
    router.add("GET", "/v1/things", _a)
    router.add("POST", "/v1/things", _b)
    router.add("GET", "/v1/things/{thing:path}", _b)
    router.add("DELETE", "/v1/items/{item}", _a)
    return router


def test_routes_by_method_and_path() -> None:
    router = _router()
    assert router.resolve("GET", "/v1/things") == (_a, {})
    assert router.resolve("POST", "/v1/things") == (_b, {})


def test_path_placeholders_capture_values() -> None:
    router = _router()
    assert router.resolve("GET", "/v1/things/org/model-1")[1] == {"thing": "org/model-1"}
    assert router.resolve("DELETE", "/v1/items/x1")[1] == {"item": "x1"}
    with pytest.raises(ApiError) as info:
        router.resolve("DELETE", "/v1/items/x/y")  # a plain placeholder is one segment
    assert info.value.status == 404


def test_unknown_path_is_404() -> None:
    with pytest.raises(ApiError) as info:
        _router().resolve("GET", "/v1/nothing")
    assert info.value.status == 404
    assert info.value.envelope()["error"]["type"] == "invalid_request_error"


def test_wrong_method_is_405_with_allow() -> None:
    with pytest.raises(ApiError) as info:
        _router().resolve("PUT", "/v1/things")
    assert info.value.status == 405
    assert dict(info.value.headers)["allow"] == "GET, POST"


def test_patterns_are_literal_outside_placeholders() -> None:
    router = Router()
    router.add("GET", "/v1/a.b", _a)
    with pytest.raises(ApiError):
        router.resolve("GET", "/v1/aXb")
