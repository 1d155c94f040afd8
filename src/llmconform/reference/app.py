"""The reference server as a raw ASGI application.

Request pipeline: authenticate → route (404/405) → read the body under a size cap (413) →
handler → send. Every refusal is an `ApiError` rendered in OpenAI's error envelope (in
Anthropic's under /v1/messages); anything unexpected becomes a 500 in the same envelope,
logged without request headers, so that no exception ever escapes to the ASGI server and no
secret reaches a log.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from llmconform.reference import anthropic as anthropic_api
from llmconform.reference import anthropic_errors, chat, models
from llmconform.reference import completions as completions_api
from llmconform.reference import embeddings as embeddings_api
from llmconform.reference import responses as responses_api
from llmconform.reference.asgi import (
    ASGIApp,
    ClientGone,
    HttpRequest,
    JsonResponse,
    Message,
    Receive,
    Scope,
    Send,
    decode_headers,
    read_body,
    request_id,
    send_json,
    send_stream,
)
from llmconform.reference.errors import SERVER_ERROR, ApiError
from llmconform.reference.router import Router
from llmconform.reference.settings import DEFAULT_MAX_BODY_BYTES, DEFAULT_MODEL, Settings

log = logging.getLogger("llmconform.reference")


def build_router() -> Router:
    """Every endpoint the reference server implements; new APIs register here."""
    router = Router()
    router.add("POST", "/v1/chat/completions", chat.create_chat_completion)
    router.add("GET", "/v1/models", models.list_models)
    router.add("GET", "/v1/models/{model:path}", models.retrieve_model)
    router.add("POST", "/v1/messages", anthropic_api.create_message)
    router.add("POST", "/v1/completions", completions_api.create_completion)
    router.add("POST", "/v1/embeddings", embeddings_api.create_embeddings)
    responses_service = responses_api.ResponsesService()  # one store of responses per app
    router.add("POST", "/v1/responses", responses_service.create)
    router.add("POST", "/v1/responses/compact", responses_service.compact)
    router.add("GET", "/v1/responses/{response_id}", responses_service.retrieve)
    return router


def create_app(
    api_key: str | None = None,
    *,
    models: tuple[str, ...] = (DEFAULT_MODEL,),
    ttft_delay_s: float = 0.0,
    token_delay_s: float = 0.0,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    restricted_key: str | None = None,
) -> ASGIApp:
    """Create a reference server app.

    With `api_key`, every request must carry `Authorization: Bearer <api_key>`
    (`x-api-key: <api_key>` under /v1/messages, as Anthropic expects). `models` are
    the served model ids. The delays slow streams down for latency tests: `ttft_delay_s`
    before the first content token, `token_delay_s` between later tokens. A
    `restricted_key` authenticates but lacks permission for anything but GET requests (403).
    """
    if not models or not all(isinstance(m, str) and m for m in models):
        raise ValueError("models must be a non-empty tuple of non-empty model ids")
    if ttft_delay_s < 0 or token_delay_s < 0:
        raise ValueError("delays must not be negative")
    if max_body_bytes < 1:
        raise ValueError("max_body_bytes must be positive")
    settings = Settings(
        models=tuple(models),
        ttft_delay_s=ttft_delay_s,
        token_delay_s=token_delay_s,
        max_body_bytes=max_body_bytes,
        api_key=api_key or None,
        restricted_key=restricted_key or None,
    )
    return ReferenceApp(settings, build_router())


class ReferenceApp:
    """An ASGI 3 application serving the reference implementation."""

    def __init__(self, settings: Settings, router: Router) -> None:
        self.settings = settings
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: HTTP requests and the lifespan protocol."""
        kind = scope.get("type")
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        req_id = request_id()
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self._serve(scope, receive, tracked_send, req_id)
            return
        except ClientGone:
            return
        except ApiError as error:
            response = _error_response(error, scope)
        except Exception:
            # Headers are not logged: they may hold the API key.
            log.exception(
                "reference server: unhandled error on %s %s", scope.get("method"), scope.get("path")
            )
            response = _error_response(_internal_error(), scope)
        if started:
            return  # too late for an error response; the broken stream is the signal
        try:
            await send_json(send, response, req_id)
        except Exception:
            log.warning("reference server: could not send an error response", exc_info=True)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, req_id: str) -> None:
        headers = decode_headers(scope)
        if anthropic_errors.is_anthropic_path(str(scope.get("path", "/"))):
            anthropic_errors.authenticate(headers, self.settings.api_key)
        else:
            self._authenticate(headers, str(scope.get("method", "GET")).upper())
        method = str(scope.get("method", "GET")).upper()
        path = str(scope.get("path", "/"))
        handler, path_params = self.router.resolve(method, path)
        body = await read_body(receive, headers, self.settings.max_body_bytes)
        request = HttpRequest(method, path, headers, body, self.settings, path_params)
        response = await handler(request)
        if isinstance(response, JsonResponse):
            await send_json(send, response, req_id)
            return
        watcher = asyncio.ensure_future(_wait_for_disconnect(receive))
        try:
            await send_stream(send, response, req_id, watcher.done)
        finally:
            watcher.cancel()
            await asyncio.wait([watcher])

    def _authenticate(self, headers: tuple[tuple[str, str], ...], method: str = "POST") -> None:
        expected = self.settings.api_key
        if expected is None:
            return
        value = next((v for k, v in headers if k == "authorization"), None)
        if value is None:
            raise _auth_error("No API key provided. Send it as 'Authorization: Bearer <key>'.")
        scheme, _, token = value.strip().partition(" ")
        presented = token.strip().encode("latin-1")
        restricted = self.settings.restricted_key
        # compare_digest takes the same time wherever the first difference is.
        if (
            restricted
            and scheme.lower() == "bearer"
            and hmac.compare_digest(presented, restricted.encode("utf-8"))
        ):
            if method != "GET":
                raise ApiError(
                    403,
                    "You have insufficient permissions for this operation.",
                    code="insufficient_permissions",
                )
            return
        matches = hmac.compare_digest(presented, expected.encode("utf-8"))
        if scheme.lower() != "bearer" or not matches:
            raise _auth_error("Incorrect API key provided.")


def _auth_error(message: str) -> ApiError:
    # Never echo the presented or the expected key.
    return ApiError(
        401,
        message,
        code="invalid_api_key",
        headers=(("www-authenticate", 'Bearer realm="llmconform-reference"'),),
    )


def _internal_error() -> ApiError:
    return ApiError(500, "The reference server failed to handle the request.", type=SERVER_ERROR)


def _error_response(error: ApiError, scope: Scope) -> JsonResponse:
    # The Anthropic endpoint answers in Anthropic's error shape, everything else in OpenAI's.
    if anthropic_errors.is_anthropic_path(str(scope.get("path", "/"))):
        return JsonResponse(anthropic_errors.envelope(error), error.status, error.headers)
    return JsonResponse(error.envelope(), status=error.status, headers=error.headers)


async def _wait_for_disconnect(receive: Receive) -> None:
    # Completes when the client goes away; a broken receive counts as gone too.
    try:
        while True:
            message = await receive()
            if message.get("type") == "http.disconnect":
                return
    except Exception:
        return


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message.get("type") == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message.get("type") == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
