"""Anthropic Messages wire format: a pure reducer that folds a stream into a message.

The documented flow of a stream is: one `message_start` (a Message with empty content); per
content block a `content_block_start`, zero or more `content_block_delta`s and a
`content_block_stop`, blocks indexed 0, 1, 2… in order; one or more `message_delta`s (stop
reason, cumulative usage); a final `message_stop`. `ping` may appear anywhere, and so may
event types added later, which clients must ignore. Every SSE event is named after its
data's `type`.

`StreamReducer` folds events the way the official SDKs' accumulators do and records every
departure from that flow as a `Violation` tagged with a `Rule`, so checks can map each rule
to its own requirement. It never raises on bad input: a broken stream is data to report.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# Which delta types each known block type accepts. Unknown block types (future server tools)
# are not judged; known delta types on a known block that does not accept them are errors.
ACCEPTED_DELTAS: dict[str, frozenset[str]] = {
    "text": frozenset({"text_delta", "citations_delta"}),
    "tool_use": frozenset({"input_json_delta"}),
    "server_tool_use": frozenset({"input_json_delta"}),
    "thinking": frozenset({"thinking_delta", "signature_delta"}),
    "redacted_thinking": frozenset(),
}
KNOWN_DELTAS = frozenset().union(*ACCEPTED_DELTAS.values())
EVENT_TYPES = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
    }
)


class Rule(StrEnum):
    """The stream rule a violation breaks (checks map each to a requirement)."""

    NOT_JSON = "not_json"  # data is not a JSON object with a string `type`
    EVENT_NAME = "event_name"  # the SSE `event:` name differs from the data's `type`
    START = "message_start"  # missing, not first, or repeated
    BLOCKS = "blocks"  # start/delta/stop structure, contiguous indices
    INTERLEAVE = "interleave"  # a block starts before the previous one stopped
    DELTA_TYPE = "delta_type"  # delta type does not fit the block type
    TOOL_JSON = "tool_json"  # input_json_delta fragments do not join into a JSON object
    MESSAGE_DELTA = "message_delta"  # missing, without usage.output_tokens, no stop_reason
    STOP = "message_stop"  # missing, repeated, or followed by events
    ERROR_EVENT = "error_event"  # the stream carried an `error` event


@dataclass(frozen=True)
class Violation:
    """One departure from the stream flow; `event` is the index of the offending event."""

    rule: Rule
    message: str
    event: int | None = None


@dataclass(frozen=True)
class FoldedStream:
    """The message a stream folds into (None without message_start) and what went wrong."""

    message: dict[str, Any] | None
    violations: tuple[Violation, ...]
    unknown_events: tuple[str, ...] = ()

    def of(self, *rules: Rule) -> list[Violation]:
        """The violations of the given rules, in stream order."""
        return [v for v in self.violations if v.rule in rules]


@dataclass
class _Block:
    value: dict[str, Any]
    fragments: list[str] = field(default_factory=list)
    stopped: bool = False


class StreamReducer:
    """Feed `(event name, data)` pairs in order, then `close()` for the folded result."""

    def __init__(self) -> None:
        self._message: dict[str, Any] | None = None
        self._blocks: dict[int, _Block] = {}
        self._next_index = 0
        self._violations: list[Violation] = []
        self._unknown: list[str] = []
        self._position = -1
        self._deltas = 0
        self._stopped = False
        self._errored = False
        self._early_reported = False
        self._unclosed_reported: set[int] = set()

    def _flag(self, rule: Rule, message: str) -> None:
        self._violations.append(Violation(rule, message, self._position))

    def feed(self, name: str, data: str) -> None:
        """Fold one event: its SSE `event:` name and its raw `data`."""
        self._position += 1
        try:
            value = json.loads(data)
        except json.JSONDecodeError:
            self._flag(Rule.NOT_JSON, f"event data is not JSON: {data[:60]!r}")
            return
        kind = value.get("type") if isinstance(value, dict) else None
        if not isinstance(kind, str):
            self._flag(Rule.NOT_JSON, "event data is not an object with a string 'type'")
            return
        if name != kind:
            self._flag(Rule.EVENT_NAME, f"SSE event name {name!r} differs from data type {kind!r}")
        if kind == "ping":
            return
        if kind == "error":
            self._errored = True
            err = value.get("error")
            text = err.get("message") if isinstance(err, dict) else None
            self._flag(Rule.ERROR_EVENT, f"the stream carried an error event: {text!r}")
            return
        if kind not in EVENT_TYPES:
            self._unknown.append(kind)
            return
        if self._stopped:
            self._flag(Rule.STOP, f"{kind} arrived after message_stop")
            return
        if kind == "message_start":
            self._start(value)
        elif self._message is None:
            if not self._early_reported:
                self._flag(Rule.START, f"{kind} arrived before message_start")
                self._early_reported = True
        else:
            handler = {
                "content_block_start": self._block_start,
                "content_block_delta": self._block_delta,
                "content_block_stop": self._block_stop,
                "message_delta": self._message_delta,
                "message_stop": self._message_stop,
            }[kind]
            handler(value)

    def _start(self, value: dict[str, Any]) -> None:
        if self._message is not None:
            self._flag(Rule.START, "message_start was sent more than once")
            return
        message = value.get("message")
        self._message = copy.deepcopy(message) if isinstance(message, dict) else {}
        content = self._message.get("content")
        # Blocks present in message_start itself come first; streamed ones are appended.
        for block in content if isinstance(content, list) else []:
            if isinstance(block, dict):
                self._blocks[self._next_index] = _Block(block, stopped=True)
                self._next_index += 1

    def _index(self, value: dict[str, Any], kind: str) -> int | None:
        index = value.get("index")
        if isinstance(index, int) and not isinstance(index, bool):
            return index
        self._flag(Rule.BLOCKS, f"{kind} has no integer index")
        return None

    def _block_start(self, value: dict[str, Any]) -> None:
        index = self._index(value, "content_block_start")
        if index is None:
            return
        if index in self._blocks:
            self._flag(Rule.BLOCKS, f"content block {index} was started twice")
            return
        if index != self._next_index:
            self._flag(
                Rule.BLOCKS,
                f"content_block_start has index {index}, expected {self._next_index} "
                "(indices are contiguous from 0)",
            )
        open_blocks = [i for i, b in self._blocks.items() if not b.stopped]
        if open_blocks:
            self._flag(
                Rule.INTERLEAVE,
                f"content block {index} started while block {open_blocks[0]} was still open",
            )
        block = value.get("content_block")
        self._blocks[index] = _Block(copy.deepcopy(block) if isinstance(block, dict) else {})
        self._next_index = max(self._next_index, index + 1)

    def _open_block(self, value: dict[str, Any], kind: str) -> tuple[int, _Block] | None:
        index = self._index(value, kind)
        if index is None:
            return None
        block = self._blocks.get(index)
        if block is None:
            self._flag(Rule.BLOCKS, f"{kind} for content block {index}, which was never started")
            return None
        if block.stopped:
            self._flag(Rule.BLOCKS, f"{kind} for content block {index} after its stop")
            return None
        return index, block

    def _block_delta(self, value: dict[str, Any]) -> None:
        found = self._open_block(value, "content_block_delta")
        delta = value.get("delta")
        if found is None or not isinstance(delta, dict):
            return
        index, block = found
        dtype = delta.get("type")
        btype = block.value.get("type")
        accepted = ACCEPTED_DELTAS.get(btype) if isinstance(btype, str) else None
        if accepted is not None and dtype in KNOWN_DELTAS and dtype not in accepted:
            self._flag(
                Rule.DELTA_TYPE,
                f"{dtype} sent for content block {index} of type {btype!r}",
            )
            return
        _apply_delta(block, delta)

    def _block_stop(self, value: dict[str, Any]) -> None:
        found = self._open_block(value, "content_block_stop")
        if found is None:
            return
        index, block = found
        block.stopped = True
        if not block.fragments:
            return
        joined = "".join(block.fragments)
        if not joined.strip():
            return  # nothing streamed: the input given at content_block_start stands
        try:
            parsed = json.loads(joined)
        except json.JSONDecodeError as exc:
            self._flag(
                Rule.TOOL_JSON,
                f"input_json_delta fragments of block {index} join into invalid JSON "
                f"({exc.msg} at {exc.pos}): {joined[:80]!r}",
            )
            return
        if not isinstance(parsed, dict):
            self._flag(
                Rule.TOOL_JSON,
                f"input_json_delta fragments of block {index} join into a "
                f"{type(parsed).__name__}, not a JSON object",
            )
            return
        block.value["input"] = parsed

    def _report_unclosed(self, when: str) -> None:
        for i, b in sorted(self._blocks.items()):
            if not b.stopped and i not in self._unclosed_reported:
                self._unclosed_reported.add(i)
                self._flag(Rule.BLOCKS, f"content block {i} was never stopped ({when})")

    def _message_delta(self, value: dict[str, Any]) -> None:
        assert self._message is not None
        self._deltas += 1
        self._report_unclosed("before message_delta")
        delta = value.get("delta")
        if isinstance(delta, dict):
            for key in ("stop_reason", "stop_sequence", "stop_details", "container"):
                if key in delta:
                    self._message[key] = delta[key]
        usage = value.get("usage")
        out = usage.get("output_tokens") if isinstance(usage, dict) else None
        if not isinstance(out, int) or isinstance(out, bool):
            self._flag(Rule.MESSAGE_DELTA, "message_delta lacks an integer usage.output_tokens")
        if isinstance(usage, dict):
            merged = self._message.get("usage")
            merged = dict(merged) if isinstance(merged, dict) else {}
            # Counts on message_delta are cumulative: they replace, never add.
            merged.update({k: v for k, v in usage.items() if v is not None})
            self._message["usage"] = merged

    def _message_stop(self, value: dict[str, Any]) -> None:
        del value
        self._report_unclosed("before message_stop")
        self._stopped = True
        self._check_final()

    def _check_final(self) -> None:
        if self._message is None:
            return
        if self._deltas == 0:
            self._flag(Rule.MESSAGE_DELTA, "no message_delta was sent")
        elif self._message.get("stop_reason") is None:
            self._flag(Rule.MESSAGE_DELTA, "no message_delta carried a stop_reason")

    def close(self) -> FoldedStream:
        """End of the stream: report what never arrived and return the folded message."""
        if self._message is None:
            if not self._early_reported:
                self._flag(Rule.START, "the stream has no message_start")
        elif not self._stopped and not self._errored:
            self._report_unclosed("at end of stream")
            self._flag(Rule.STOP, "the stream ended without message_stop")
            self._check_final()
        message = None
        if self._message is not None:
            message = dict(self._message)
            message["content"] = [self._blocks[i].value for i in sorted(self._blocks)]
        return FoldedStream(message, tuple(self._violations), tuple(self._unknown))


def _apply_delta(block: _Block, delta: dict[str, Any]) -> None:
    value = block.value
    dtype = delta.get("type")
    if dtype == "text_delta" and isinstance(delta.get("text"), str):
        value["text"] = str(value.get("text") or "") + delta["text"]
    elif dtype == "input_json_delta" and isinstance(delta.get("partial_json"), str):
        block.fragments.append(delta["partial_json"])
    elif dtype == "thinking_delta" and isinstance(delta.get("thinking"), str):
        value["thinking"] = str(value.get("thinking") or "") + delta["thinking"]
    elif dtype == "signature_delta" and isinstance(delta.get("signature"), str):
        value["signature"] = delta["signature"]
    elif dtype == "citations_delta" and "citation" in delta:
        citations = value.get("citations")
        value["citations"] = [
            *(citations if isinstance(citations, list) else []),
            delta["citation"],
        ]


def fold_stream(events: Iterable[tuple[str, str]]) -> FoldedStream:
    """Fold `(SSE event name, data)` pairs into a message, reporting every violation."""
    reducer = StreamReducer()
    for name, data in events:
        reducer.feed(name, data)
    return reducer.close()


def text_of(message: dict[str, Any]) -> str:
    """The concatenated text of a message's text blocks."""
    content = message.get("content")
    return "".join(
        b["text"]
        for b in (content if isinstance(content, list) else [])
        if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
    )


def tool_uses(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The client `tool_use` blocks of a message (server tools excluded)."""
    content = message.get("content")
    return [
        b
        for b in (content if isinstance(content, list) else [])
        if isinstance(b, dict) and b.get("type") == "tool_use"
    ]
