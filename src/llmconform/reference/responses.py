"""`POST /v1/responses`, `POST /v1/responses/compact`, `GET /v1/responses/{id}`: Open Responses.

One `ResponsesService` per app holds the stored responses (a bounded in-memory store, oldest
evicted first) that `previous_response_id` and retrieval read. Output is deterministic (see
`responses_output`); a stream sends each event as its own SSE message with `event:` equal to
its type, strictly increasing `sequence_number`s, and `data: [DONE]` after the terminal event.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from llmconform.reference import params
from llmconform.reference.asgi import (
    HttpRequest,
    JsonResponse,
    Response,
    StreamResponse,
    dump_json,
)
from llmconform.reference.errors import ApiError, echo, model_not_found
from llmconform.reference.responses_output import (
    Outcome,
    item_text,
    new_id,
    plan,
    response_object,
    stream_events,
    usage_object,
)
from llmconform.reference.responses_request import (
    Item,
    ResponsesRequest,
    encode_compaction,
    parse_responses_request,
)
from llmconform.reference.settings import Settings
from llmconform.reference.tokenizer import count_tokens

STORE_LIMIT = 1000
DONE = b"data: [DONE]\n\n"
_DELTAS = ("response.output_text.delta", "response.function_call_arguments.delta")


@dataclass(frozen=True)
class Stored:
    """A stored response and the full context it continues (input, then output)."""

    response: dict[str, Any]
    context: tuple[Item, ...]


class ResponsesService:
    """Handlers over one bounded store of responses."""

    def __init__(self, limit: int = STORE_LIMIT) -> None:
        self._store: OrderedDict[str, Stored] = OrderedDict()
        self._limit = limit

    def _remember(self, response: dict[str, Any], context: tuple[Item, ...]) -> None:
        self._store[response["id"]] = Stored(response, context)
        while len(self._store) > self._limit:
            self._store.popitem(last=False)

    def _context(self, req: ResponsesRequest) -> tuple[Item, ...]:
        if req.previous_response_id is None:
            return req.items
        stored = self._store.get(req.previous_response_id)
        if stored is None:
            raise ApiError(
                400,
                f"Previous response with id '{echo(req.previous_response_id)}' not found.",
                param="previous_response_id",
                code="previous_response_not_found",
            )
        return stored.context + req.items

    async def create(self, request: HttpRequest) -> Response:
        """Create a response, streamed or not."""
        req = parse_responses_request(params.parse_object(request.body))
        if req.model not in request.settings.models:
            raise model_not_found(req.model, param="model")
        context = self._context(req)
        outcome = plan(req, context)
        created_at = int(time.time())
        response_id = new_id("resp")
        output = [p.item for p in outcome.items]
        final = response_object(
            req,
            response_id=response_id,
            created_at=created_at,
            status=outcome.status,
            output=output,
            usage=usage_object(outcome),
            completed_at=int(time.time()) if outcome.status == "completed" else None,
        )
        if req.store:
            self._remember(final, context + tuple(output))
        if not req.stream:
            return JsonResponse(final)
        start = response_object(
            req,
            response_id=response_id,
            created_at=created_at,
            status="in_progress",
            output=[],
            usage=None,
        )
        return StreamResponse(_sse(outcome, start, final, request.settings))

    async def retrieve(self, request: HttpRequest) -> Response:
        """A stored response, or a 404."""
        response_id = request.params["response_id"]
        stored = self._store.get(response_id)
        if stored is None:
            raise ApiError(
                404,
                f"No response found with id '{echo(response_id)}'.",
                param="response_id",
                code="response_not_found",
            )
        return JsonResponse(stored.response)

    async def compact(self, request: HttpRequest) -> Response:
        """Compact a conversation: user messages stay, everything else folds into one item."""
        req = parse_responses_request(params.parse_object(request.body), compact=True)
        if req.model not in request.settings.models:
            raise model_not_found(req.model, param="model")
        context = self._context(req)
        users = [i for i in context if i.get("type") == "message" and i.get("role") == "user"]
        rest = [i for i in context if i not in users]
        output: list[Item] = [
            {**item, "id": new_id("msg"), "status": "completed"} for item in users
        ]
        output.append(
            {
                "type": "compaction",
                "id": new_id("cmp"),
                "encrypted_content": encode_compaction(rest),
            }
        )
        tokens = sum(count_tokens(item_text(i)) for i in context)
        return JsonResponse(
            {
                "id": new_id("resp"),
                "object": "response.compaction",
                "created_at": int(time.time()),
                "output": output,
                "usage": usage_object(Outcome((), "completed", tokens, 0)),
            }
        )


async def _sse(
    outcome: Outcome, start: dict[str, Any], final: dict[str, Any], settings: Settings
) -> AsyncIterator[bytes]:
    """The events of a streamed response, each named after its type, then `[DONE]`."""
    deltas = 0
    for seq, event in enumerate(stream_events(outcome, start, final)):
        if event["type"] in _DELTAS:
            delay = settings.ttft_delay_s if deltas == 0 else settings.token_delay_s
            deltas += 1
            if delay > 0:
                await asyncio.sleep(delay)
        body = {"type": event["type"], "sequence_number": seq, **event}
        yield b"event: " + event["type"].encode() + b"\ndata: " + dump_json(body) + b"\n\n"
    yield DONE
