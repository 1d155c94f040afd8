"""SDK cases: exercise the target through the official Python SDKs (`openai`, `anthropic`).

An SDK case cannot be planned as requests, because the SDK builds them. Its work item carries
a *driver* instead, which the executor awaits in its event loop (like a scenario, but async).
The driver builds the SDK's async client on a bridge transport: every request the SDK makes
becomes a `Request` sent by the executor's own `send` (same time limits, body cap, redirect
rule, content decoding), is recorded as an ordinary exchange, and is replayed to the SDK as its
response. The SDK never holds the API key nor the target's address: it gets a placeholder key
and a fake origin, and the executor adds the real key exactly as for every other case, so the
recorded requests carry no auth header. Retries are off (`max_retries=0`): a retry would hide
the very error the case looks for, and costs money on a paid endpoint.

When the SDK call ends, its outcome (a JSON summary of what it returned, or the exception it
raised) is appended as a last, synthetic exchange (`method "SDK"`, transport "sdk") that the
pure checks of `checks/sdk.py` read. An SDK that is not installed yields an outcome saying so,
and the case is then skipped with that reason, never passed. An exception raised before any
request was sent says nothing about the target (an SDK version llmconform does not fit): the
case is then an error.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import time
from collections.abc import Awaitable, Mapping
from typing import Any

from llmconform.catalog.steps import PlanError, Variables, auth_scheme_for
from llmconform.checks.sdk import OUTCOME_METHOD
from llmconform.engine.expand import ExpandOptions, expander
from llmconform.engine.sdk_cases import (
    CLIENTS,
    FEATURES,
    SDK_TAG,
    Feature,
    absent_reason,
    load_sdk,
)
from llmconform.model import JSON, BodyChunk, Capture, Case, CaseWork, Limits, Request, SendFn

OUTCOME_TRANSPORT = "sdk"
PLACEHOLDER_KEY = "llmconform-sdk-placeholder-key"  # not a secret: the SDK never sees the key
_ORIGIN = "llmconform-sdk.invalid"  # .invalid never resolves: nothing can leave by mistake
# The openai SDK appends "/chat/completions" to a base ending in /v1, the anthropic SDK
# appends "/v1/messages" to the bare origin; both map to paths under the target's base URL.
_BASE_URLS = {"openai": f"http://{_ORIGIN}/v1", "anthropic": f"http://{_ORIGIN}"}
_APIS = {"openai": "openai-chat", "anthropic": "anthropic-messages"}
# Credentials are never recorded; the rest is recomputed by the executor's HTTP client.
_DROP_REQUEST = frozenset(
    {
        "authorization",
        "x-api-key",
        "api-key",
        "cookie",
        "proxy-authorization",
        "host",
        "content-length",
        "accept-encoding",
        "connection",
        "transfer-encoding",
    }
)
# The executor hands over the decoded body: its framing headers no longer describe it.
_DROP_RESPONSE = frozenset({"content-encoding", "content-length", "transfer-encoding"})
_MESSAGE_CHARS = 600


def outcome_capture(feature: Feature, record: Mapping[str, JSON]) -> Capture:
    """The synthetic last exchange holding what the SDK call did, as JSON."""
    now = time.perf_counter_ns()
    body = json.dumps(
        {"sdk": feature.sdk, "feature": feature.name, "call": feature.call, **record},
        default=_plain,
    ).encode()
    return Capture(
        request=Request(OUTCOME_METHOD, f"{feature.sdk}: {feature.call}"),
        status=200,
        headers=(("content-type", "application/json"),),
        chunks=(BodyChunk(now, body),),
        t_sent_ns=now,
        sent_at=time.time(),
        t_headers_ns=now,
        t_end_ns=now,
        transport=OUTCOME_TRANSPORT,
    )


def _plain(value: Any) -> JSON:
    """JSON for what a summary could not hold as is (SDK models, bytes, anything else)."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump()
        except Exception:  # a model the target filled with junk may not dump
            pass
    return repr(value)[:200]


def _error_name(exc: BaseException) -> str:
    module = type(exc).__module__.split(".")[0]
    return type(exc).__name__ if module == "builtins" else f"{module}.{type(exc).__name__}"


def _describe(exc: BaseException) -> str:
    # An empty message (a bare `assert` in the SDK) says nothing: the type alone then. The
    # SDKs wrap transport errors ("Connection error."): the cause says what really happened.
    text = f"{_error_name(exc)}: {exc}" if str(exc) else _error_name(exc)
    cause = exc.__cause__ or exc.__context__
    if cause is not None and str(cause) and str(cause) not in text:
        text += f" (caused by {_error_name(cause)}: {cause})"
    return text


async def drive(
    feature: Feature, values: Mapping[str, str], send: SendFn, limits: Limits
) -> list[Capture]:
    """Run one SDK feature; the requests go through `send`, the outcome is returned."""
    sdk = load_sdk(feature.sdk)
    if sdk is None:
        return [
            outcome_capture(feature, {"status": "absent", "reason": absent_reason(feature.sdk)})
        ]
    sent = 0

    async def counted(request: Request) -> Capture:
        nonlocal sent
        sent += 1
        return await send(request)

    client = getattr(sdk, CLIENTS[feature.sdk])(
        api_key=PLACEHOLDER_KEY,
        base_url=_BASE_URLS[feature.sdk],
        max_retries=0,
        timeout=limits.timeout_s,
        http_client=_bridge_client(sdk, counted, auth_scheme_for(_APIS[feature.sdk])),
    )
    version = str(getattr(sdk, "__version__", "?"))
    try:
        result = await feature.run(client, values)
        record: dict[str, JSON] = {"status": "ok", "version": version, "result": result}
    except Exception as exc:
        message = _describe(exc)[:_MESSAGE_CHARS]
        if not sent:
            return [_harness_error(feature, version, message)]
        error = {"type": _error_name(exc), "message": message}
        record = {"status": "raised", "version": version, "error": error}
    finally:
        # Closing a bridge that holds no connection cannot fail in a way that matters.
        with contextlib.suppress(Exception):
            await client.close()
    return [outcome_capture(feature, record)]


def _harness_error(feature: Feature, version: str, message: str) -> Capture:
    # No status: nothing reached the target, so this is an error, never a failure.
    now = time.perf_counter_ns()
    return Capture(
        Request(OUTCOME_METHOD, f"{feature.sdk}: {feature.call}"),
        None,
        (),
        (),
        now,
        sent_at=time.time(),
        t_end_ns=now,
        transport=OUTCOME_TRANSPORT,
        error=(
            f"the {feature.sdk} SDK {version} raised before sending any request ({message}); "
            "llmconform does not fit this SDK version, please report it"
        ),
    )


# -- the bridge: the SDK's HTTP client, backed by the executor ---------------------------------
def _http_library(sdk: Any) -> Any:
    """The HTTP package the SDK is built on (httpx, or httpx2 in newer SDKs)."""
    default = getattr(sdk, "DefaultAsyncHttpxClient", None)
    for klass in getattr(default, "__mro__", ()):
        if klass.__name__ == "AsyncClient":
            return importlib.import_module(klass.__module__.split(".")[0])
    return importlib.import_module("httpx")


def _bridge_client(sdk: Any, send: SendFn, auth_scheme: str) -> Any:
    """An async client of the SDK's HTTP package whose transport is the executor."""
    lib = _http_library(sdk)

    async def handle(_self: Any, request: Any) -> Any:
        url = request.url
        if url.host != _ORIGIN:
            raise lib.ConnectError(f"the SDK asked for another host ({url.host})", request=request)
        path = url.raw_path.decode("ascii", "replace")
        if path == "/v1" or path.startswith(("/v1/", "/v1?")):
            path = path[3:] or "/"
        content = await request.aread()
        try:
            parsed = json.loads(content) if content else None
        except ValueError:
            parsed = None
        capture = await send(
            Request(
                method=request.method,
                path=path,
                json=parsed,
                headers=tuple(
                    (k, v) for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST
                ),
                content=content or None,  # sent verbatim: exactly the bytes the SDK built
                stream=isinstance(parsed, dict) and parsed.get("stream") is True,
                auth_scheme=auth_scheme,
            )
        )
        if capture.status is None:
            raise lib.ConnectError(capture.error or "no response", request=request)
        headers = [(k, v) for k, v in capture.headers if k.lower() not in _DROP_RESPONSE]
        stream = _replay_stream(lib, capture)
        return lib.Response(capture.status, headers=headers, stream=stream, request=request)

    transport = type(
        "LlmconformBridge", (lib.AsyncBaseTransport,), {"handle_async_request": handle}
    )
    return lib.AsyncClient(transport=transport(), trust_env=False)


def _replay_stream(lib: Any, capture: Capture) -> Any:
    """The captured body, read by read, then the break-off (if any) as the SDK would see it."""

    async def pieces(_self: Any) -> Any:
        for chunk in capture.chunks:
            yield chunk.data
        if capture.error:
            raise lib.RemoteProtocolError(capture.error)

    return type("LlmconformReplay", (lib.AsyncByteStream,), {"__aiter__": pieces})()


# -- planning -------------------------------------------------------------------------------
@expander(SDK_TAG)
def _sdk_work(case: Case, variables: Variables, options: ExpandOptions) -> list[CaseWork]:
    feature = FEATURES.get(case.scenario or "")
    if feature is None:
        raise PlanError(f"{case.id}: unknown SDK feature {case.scenario!r}")
    load_sdk(feature.sdk)  # imported now, before the event loop runs: an import blocks it
    values = variables.as_dict()

    def driver(send: SendFn, limits: Limits) -> Awaitable[list[Capture]]:
        return drive(feature, values, send, limits)

    return [CaseWork(case.id, driver=driver, weight=feature.exchanges)]
