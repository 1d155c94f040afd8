"""What a check sees: the case, its exchanges, and decoded views of each capture (pure, lazy)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from llmconform.model import JSON, Capture, Case, SSEEvent
from llmconform.protocol.openai_chat import fold_chunks
from llmconform.protocol.sse import SSEObservations, decode_sse

DONE = "[DONE]"
TOO_DEEP = "the JSON is nested too deeply to be parsed"


class Unverifiable(Exception):
    """The data a check needs is absent (e.g. the body is not JSON); the check cannot pass."""


def parse_json_body(body: bytes) -> JSON:
    """A response body parsed as JSON the way clients read it: strictly UTF-8 (RFC 8259 §8.1).

    `json.loads(bytes)` would also guess UTF-16 and UTF-32, which clients do not, so the bytes
    are decoded first. A leading UTF-8 BOM stays tolerated. Raises `UnicodeDecodeError` or
    `json.JSONDecodeError` (both `ValueError`s) when the body is not UTF-8 JSON.
    """
    return json.loads(body.decode("utf-8-sig"))


@dataclass(frozen=True)
class StreamPayload:
    """One parsed `data:` payload of an event stream, with its position among the events."""

    event_index: int
    value: JSON


@dataclass(frozen=True)
class Exchange:
    """A request/response pair with lazily decoded views, decoded once, off the I/O path."""

    index: int
    capture: Capture

    @property
    def status(self) -> int | None:
        """The HTTP status, or None when no response arrived."""
        return self.capture.status

    @property
    def request_json(self) -> JSON:
        """The JSON body that was sent (None for raw-content requests)."""
        return self.capture.request.json

    @property
    def content_type(self) -> str:
        """The media type of the response, lower-cased, without parameters."""
        raw = self.capture.header("content-type") or ""
        return raw.split(";", 1)[0].strip().lower()

    @cached_property
    def json(self) -> JSON:
        """The response body parsed as JSON; raises Unverifiable when it is not JSON."""
        body = self.capture.body
        try:
            return parse_json_body(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            excerpt = body[:80].decode("utf-8", "replace")
            raise Unverifiable(
                f"response body is not JSON ({exc}); it starts {excerpt!r}"
            ) from None
        except RecursionError:
            raise Unverifiable(TOO_DEEP) from None

    @cached_property
    def _sse(self) -> tuple[list[SSEEvent], SSEObservations]:
        return decode_sse(self.capture.chunks)

    @property
    def events(self) -> list[SSEEvent]:
        """Dispatched server-sent events of the body."""
        return self._sse[0]

    @property
    def sse_observations(self) -> SSEObservations:
        """Framing observations made while decoding the stream."""
        return self._sse[1]

    @cached_property
    def done_index(self) -> int | None:
        """Index of the first `[DONE]` event, if any."""
        for i, ev in enumerate(self.events):
            if ev.data.strip() == DONE:
                return i
        return None

    @cached_property
    def _parsed(self) -> tuple[list[StreamPayload], list[tuple[int, str]]]:
        # One pass over the events: every data payload is parsed exactly once.
        good: list[StreamPayload] = []
        bad: list[tuple[int, str]] = []
        for i, ev in enumerate(self.events):
            if i == self.done_index:
                break
            try:
                good.append(StreamPayload(i, json.loads(ev.data)))
            except json.JSONDecodeError:
                bad.append((i, ev.data[:80]))
            except RecursionError:  # the target's fault: nested beyond any client's parser
                bad.append((i, f"{TOO_DEEP}: {ev.data[:40]}"))
        return good, bad

    @property
    def payloads(self) -> list[StreamPayload]:
        """Parsed JSON payloads of the events before `[DONE]` (unparseable ones are skipped)."""
        return self._parsed[0]

    @property
    def bad_payloads(self) -> list[tuple[int, str]]:
        """(event index, excerpt) of events before `[DONE]` whose data is not JSON."""
        return self._parsed[1]

    @cached_property
    def chunk_objects(self) -> list[dict[str, Any]]:
        """Stream payloads that are JSON objects (the chunks)."""
        return [p.value for p in self.payloads if isinstance(p.value, dict)]

    @property
    def is_stream(self) -> bool:
        """Whether the request asked for a stream."""
        return self.capture.request.stream

    @cached_property
    def completion(self) -> dict[str, Any]:
        """The chat completion this exchange produced: the body, or the stream's chunks folded."""
        if self.is_stream:
            if not self.chunk_objects:
                raise Unverifiable("the stream carried no JSON chunk")
            return fold_chunks(self.chunk_objects)
        body = self.json
        if not isinstance(body, dict):
            raise Unverifiable("response body is not a JSON object")
        return body


@dataclass(frozen=True)
class CheckContext:
    """Input of every check. `args` come from the case file; `model` is the model under test;
    `settings` are run-level facts (latency thresholds, the instrument's floor). `metrics` is
    the one output besides issues: measurements a check records for the report."""

    case: Case
    exchanges: tuple[Exchange, ...]
    args: Mapping[str, Any] = field(default_factory=dict)
    model: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def primary(self) -> Exchange:
        """The exchange a check looks at: `args.step` (default: the last one)."""
        step = self.args.get("step", -1)
        try:
            return self.exchanges[int(step)]
        except (IndexError, ValueError, TypeError):
            raise Unverifiable(f"the case has no step {step!r}") from None
