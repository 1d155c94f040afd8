"""Open Responses streams as a state machine (pure): replay the events, report every broken rule.

A Responses stream is a sequence of semantic events that build a response object: the
response is created and put in progress, output items are added, their content parts are
added, text and argument deltas append to them, each piece is closed with a `*.done` event
that repeats the whole value, and exactly one terminal event (`response.completed`, `.failed`
or `.incomplete`) carries the final response. `StreamMachine` replays the events in order,
rebuilds what they describe and records a `Violation` for each rule a stream breaks; the
checks map rules to requirements. The machine never trusts a `*.done` event to say what the
deltas were: the final response must equal what the deltas built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

TERMINAL_EVENTS = {
    "response.completed": "completed",
    "response.failed": "failed",
    "response.incomplete": "incomplete",
}
# Item types whose lifecycle the spec defines; provider items (web_search_call, mcp_list_tools…)
# may skip `output_item.done` (OpenAI's own mcp_list_tools items do).
STANDARD_ITEMS = frozenset({"message", "function_call", "reasoning"})
# Content deltas: event type -> (the .done event, the field of the .done event holding the text).
CONTENT_DELTAS = {
    "response.output_text.delta": ("response.output_text.done", "text"),
    "response.refusal.delta": ("response.refusal.done", "refusal"),
    "response.reasoning.delta": ("response.reasoning.done", "text"),
    "response.reasoning_text.delta": ("response.reasoning_text.done", "text"),
}
CONTENT_DONES = {done: (delta, key) for delta, (done, key) in CONTENT_DELTAS.items()}
SUMMARY_DELTA = "response.reasoning_summary_text.delta"
SUMMARY_DONE = "response.reasoning_summary_text.done"
ARGS_DELTA = "response.function_call_arguments.delta"
ARGS_DONE = "response.function_call_arguments.done"
DONE_MARKER = "[DONE]"
# What may come second: progress, or an early end (errors and terminals have their own rules).
_MAY_FOLLOW_CREATED = frozenset(
    {"response.in_progress", "response.queued", "error", *TERMINAL_EVENTS}
)

# Rule names (stable: checks map them to requirement ids).
FRAMING = "framing"  # data is not a JSON object with a string type
NAME_MISMATCH = "name.mismatch"  # SSE `event:` differs from the body's type
NAME_MISSING = "name.missing"  # no `event:` field at all
CREATED_FIRST = "order.created_first"
IN_PROGRESS = "order.in_progress"
SEQUENCE = "sequence"
TERMINAL_MISSING = "terminal.missing"
TERMINAL_MULTIPLE = "terminal.multiple"
AFTER_TERMINAL = "terminal.after"
DONE_MISSING = "done_marker.missing"
ERROR_NOT_FAILED = "error.not_failed"
ITEM_ORDER = "item.order"
ITEM_ID = "item.id"
ITEM_NOT_DONE = "item.not_done"
ITEM_INCOMPLETE = "item.incomplete"
PART_ORDER = "part.order"
TEXT_MISMATCH = "text.mismatch"
ARGS_MISMATCH = "args.mismatch"
FINAL_MISMATCH = "final.mismatch"
FINAL_STATUS = "final.status"


@dataclass(frozen=True)
class StreamEvent:
    """One SSE event as the machine sees it: its `event:` name and its decoded data.

    `name` is None when the event had no `event:` field; `data` is the decoded JSON (None
    when the data was not JSON); `raw` is the data text (to recognise `[DONE]`).
    """

    index: int
    name: str | None
    data: Any
    raw: str = ""


@dataclass(frozen=True)
class Violation:
    """A broken rule, with the index of the event that showed it (None: the whole stream)."""

    rule: str
    message: str
    event: int | None = None


@dataclass
class _Part:
    added: int
    deltas: list[str] = field(default_factory=list)
    done_text: str | None = None
    closed: bool = False

    @property
    def text(self) -> str:
        return "".join(self.deltas)


@dataclass
class _Item:
    output_index: int
    id: str | None
    type: str
    added: int
    parts: dict[tuple[str, int], _Part] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    args_done: str | None = None
    done_item: dict[str, Any] | None = None


@dataclass
class StreamReport:
    """What a stream built and which rules it broke."""

    violations: list[Violation] = field(default_factory=list)
    terminal_type: str | None = None
    terminal_response: dict[str, Any] | None = None
    items: list[_Item] = field(default_factory=list)
    done_marker: bool = False
    types: list[str] = field(default_factory=list)

    def rules(self) -> set[str]:
        """The names of the broken rules."""
        return {v.rule for v in self.violations}

    def text_of(self, output_index: int) -> str:
        """The output text the deltas built for an item (all its output_text parts joined)."""
        for item in self.items:
            if item.output_index == output_index:
                return "".join(
                    p.text for (kind, _), p in sorted(item.parts.items()) if kind == "content"
                )
        return ""


class StreamMachine:
    """Feed events in order with `feed`, then call `finish` for the report."""

    def __init__(self) -> None:
        self.report = StreamReport()
        self._items: dict[int, _Item] = {}
        self._by_id: dict[str, _Item] = {}
        self._last_seq: int | None = None
        self._terminal_at: int | None = None
        self._pending_error: int | None = None
        self._count = 0

    def _flag(self, rule: str, message: str, event: int | None) -> None:
        self.report.violations.append(Violation(rule, message, event))

    def feed(self, ev: StreamEvent) -> None:
        """Apply one event."""
        if ev.raw.strip() == DONE_MARKER:
            self.report.done_marker = True
            if self._terminal_at is None:
                self._flag(TERMINAL_MISSING, "[DONE] arrived before any terminal event", ev.index)
            return
        data = ev.data
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            self._flag(FRAMING, "event data is not a JSON object with a string 'type'", ev.index)
            return
        if self.report.done_marker:
            self._flag(AFTER_TERMINAL, f"{data['type']} arrived after [DONE]", ev.index)
        kind: str = data["type"]
        self.report.types.append(kind)
        self._names(ev, kind)
        self._sequence(ev, data)
        self._order(ev, kind)
        if self._terminal_at is not None and not self.report.done_marker:
            self._flag(AFTER_TERMINAL, f"{kind} arrived after the terminal event", ev.index)
        self._count += 1
        if kind in TERMINAL_EVENTS:
            self._terminal(ev, kind, data)
        elif kind == "error":
            self._pending_error = ev.index
        else:
            self._item_event(ev, kind, data)

    def _names(self, ev: StreamEvent, kind: str) -> None:
        if ev.name is None:
            self._flag(NAME_MISSING, f"{kind} has no 'event:' field", ev.index)
        elif ev.name != kind:
            self._flag(NAME_MISMATCH, f"event name {ev.name!r} but type {kind!r}", ev.index)

    def _sequence(self, ev: StreamEvent, data: dict[str, Any]) -> None:
        seq = data.get("sequence_number")
        if not isinstance(seq, int) or isinstance(seq, bool):
            self._flag(SEQUENCE, f"sequence_number is {seq!r}, not an integer", ev.index)
            return
        if self._last_seq is not None and seq <= self._last_seq:
            self._flag(
                SEQUENCE,
                f"sequence_number {seq} does not increase (was {self._last_seq})",
                ev.index,
            )
        self._last_seq = seq

    def _order(self, ev: StreamEvent, kind: str) -> None:
        if self._count == 0 and kind != "response.created":
            self._flag(CREATED_FIRST, f"the first event is {kind}, not response.created", ev.index)
        elif self._count == 1 and kind not in _MAY_FOLLOW_CREATED:
            self._flag(
                IN_PROGRESS,
                f"response.in_progress does not follow response.created (got {kind})",
                ev.index,
            )

    def _terminal(self, ev: StreamEvent, kind: str, data: dict[str, Any]) -> None:
        if self._terminal_at is not None:
            self._flag(TERMINAL_MULTIPLE, f"a second terminal event {kind}", ev.index)
            return
        self._terminal_at = ev.index
        self._pending_error = None
        self.report.terminal_type = kind
        response = data.get("response")
        self.report.terminal_response = response if isinstance(response, dict) else None
        status = response.get("status") if isinstance(response, dict) else None
        if status != TERMINAL_EVENTS[kind]:
            self._flag(FINAL_STATUS, f"{kind} carries a response with status {status!r}", ev.index)

    def _item_event(self, ev: StreamEvent, kind: str, data: dict[str, Any]) -> None:
        if kind == "response.output_item.added":
            self._item_added(ev, data)
            return
        if "output_index" not in data and "item_id" not in data:
            return  # a response-level event (created, in_progress, provider extensions)
        item = self._resolve(ev, kind, data)
        if item is None:
            return
        if item.done_item is not None:
            self._flag(ITEM_ORDER, f"{kind} after output_item.done of item {item.id}", ev.index)
            return
        if kind == "response.output_item.done":
            self._item_done(ev, item, data)
        elif kind in ("response.content_part.added", "response.reasoning_summary_part.added"):
            self._part_added(ev, item, kind, data)
        elif kind in ("response.content_part.done", "response.reasoning_summary_part.done"):
            self._part_done(ev, item, kind, data)
        elif kind in CONTENT_DELTAS or kind == SUMMARY_DELTA:
            part = self._part(ev, item, kind, data)
            if part is not None and isinstance(data.get("delta"), str):
                part.deltas.append(data["delta"])
        elif kind in CONTENT_DONES or kind == SUMMARY_DONE:
            self._text_done(ev, item, kind, data)
        elif kind == ARGS_DELTA:
            if item.args_done is not None:
                self._flag(ITEM_ORDER, "function_call_arguments.delta after its .done", ev.index)
            elif isinstance(data.get("delta"), str):
                item.args.append(data["delta"])
        elif kind == ARGS_DONE:
            self._args_done(ev, item, data)

    def _item_added(self, ev: StreamEvent, data: dict[str, Any]) -> None:
        index, raw = data.get("output_index"), data.get("item")
        item_data = raw if isinstance(raw, dict) else {}
        expected = len(self._items)
        if index != expected:
            self._flag(
                ITEM_ORDER,
                f"output_item.added has output_index {index!r}, "
                f"expected {expected} (the next free position)",
                ev.index,
            )
        if not isinstance(index, int) or index in self._items:
            return
        item_id = item_data.get("id") if isinstance(item_data.get("id"), str) else None
        item = _Item(index, item_id, str(item_data.get("type")), ev.index)
        self._items[index] = item
        self.report.items.append(item)
        if item_id is not None:
            if item_id in self._by_id:
                self._flag(ITEM_ID, f"item id {item_id!r} is used by two output items", ev.index)
            self._by_id[item_id] = item

    def _resolve(self, ev: StreamEvent, kind: str, data: dict[str, Any]) -> _Item | None:
        index = data.get("output_index")
        item = self._items.get(index) if isinstance(index, int) else None
        if item is None:
            self._flag(
                ITEM_ORDER,
                f"{kind} refers to output_index {index!r} before its response.output_item.added",
                ev.index,
            )
            return None
        item_id = data.get("item_id")
        if kind == "response.output_item.done":
            raw = data.get("item")
            item_id = raw.get("id") if isinstance(raw, dict) else None
        if item_id is not None and item.id is not None and item_id != item.id:
            self._flag(
                ITEM_ID,
                f"{kind} names item {item_id!r} at output_index {index}, "
                f"which was added as {item.id!r}",
                ev.index,
            )
        return item

    def _item_done(self, ev: StreamEvent, item: _Item, data: dict[str, Any]) -> None:
        raw = data.get("item")
        done = raw if isinstance(raw, dict) else {}
        item.done_item = done
        for key, part in item.parts.items():
            if not part.closed:
                self._flag(
                    PART_ORDER,
                    f"output_item.done before the {key[0]} part {key[1]} was closed",
                    ev.index,
                )
        if item.type == "message":
            for i, content in enumerate(_list(done.get("content"))):
                built = item.parts.get(("content", i))
                text = _part_text(content)
                if built is not None and text is not None and text != built.text:
                    self._flag(
                        TEXT_MISMATCH,
                        f"output_item.done content[{i}] text differs from the joined deltas",
                        ev.index,
                    )
        streamed = item.args or item.args_done is not None
        if (
            item.type == "function_call"
            and streamed
            and done.get("arguments") != "".join(item.args)
        ):
            self._flag(
                ARGS_MISMATCH,
                "output_item.done arguments differ from the joined function_call_arguments deltas",
                ev.index,
            )

    def _part_key(self, kind: str, data: dict[str, Any]) -> tuple[str, Any]:
        if "summary" in kind:
            return ("summary", data.get("summary_index"))
        return ("content", data.get("content_index"))

    def _part_added(self, ev: StreamEvent, item: _Item, kind: str, data: dict[str, Any]) -> None:
        key = self._part_key(kind, data)
        expected = sum(1 for k in item.parts if k[0] == key[0])
        if key[1] != expected:
            self._flag(PART_ORDER, f"{kind} has index {key[1]!r}, expected {expected}", ev.index)
        if isinstance(key[1], int) and key not in item.parts:
            item.parts[key] = _Part(ev.index)

    def _part(self, ev: StreamEvent, item: _Item, kind: str, data: dict[str, Any]) -> _Part | None:
        key = self._part_key(kind, data)
        part = item.parts.get(key)
        if part is None:
            self._flag(
                PART_ORDER,
                f"{kind} for {key[0]} index {key[1]!r} before its part was added",
                ev.index,
            )
        elif part.closed or part.done_text is not None:
            self._flag(PART_ORDER, f"{kind} after the {key[0]} part {key[1]} was done", ev.index)
            return None
        return part

    def _text_done(self, ev: StreamEvent, item: _Item, kind: str, data: dict[str, Any]) -> None:
        part = self._part(ev, item, kind, data)
        if part is None:
            return
        field_name = CONTENT_DONES[kind][1] if kind in CONTENT_DONES else "text"
        text = data.get(field_name)
        part.done_text = text if isinstance(text, str) else ""
        if text != part.text:
            self._flag(
                TEXT_MISMATCH,
                f"{kind} carries {len(str(text))} characters that differ "
                f"from the {len(part.text)} characters of the joined deltas",
                ev.index,
            )

    def _part_done(self, ev: StreamEvent, item: _Item, kind: str, data: dict[str, Any]) -> None:
        key = self._part_key(kind, data)
        part = item.parts.get(key)
        if part is None or part.closed:
            state = "twice" if part else "before it was added"
            self._flag(PART_ORDER, f"{kind} for {key[0]} index {key[1]!r} {state}", ev.index)
            return
        part.closed = True
        text = _part_text(data.get("part"))
        if text is not None and text != part.text:
            self._flag(TEXT_MISMATCH, f"{kind} text differs from the joined deltas", ev.index)

    def _args_done(self, ev: StreamEvent, item: _Item, data: dict[str, Any]) -> None:
        args = data.get("arguments")
        item.args_done = args if isinstance(args, str) else ""
        if args != "".join(item.args):
            self._flag(
                ARGS_MISMATCH,
                "function_call_arguments.done differs from the joined deltas",
                ev.index,
            )

    def finish(self) -> StreamReport:
        """Close the stream: rules that only the end can decide, then the final comparison."""
        if self._pending_error is not None:
            self._flag(
                ERROR_NOT_FAILED,
                "an error event is not followed by response.failed",
                self._pending_error,
            )
        if self._terminal_at is None:
            self._flag(
                TERMINAL_MISSING,
                "the stream has no response.completed, .failed or .incomplete event",
                None,
            )
        elif not self.report.done_marker:
            self._flag(DONE_MISSING, "the stream does not end with 'data: [DONE]'", None)
        for item in self.report.items:
            if item.done_item is None and item.type in STANDARD_ITEMS:
                self._flag(
                    ITEM_NOT_DONE,
                    f"{item.type} item {item.id} (output_index "
                    f"{item.output_index}) never got output_item.done",
                    item.added,
                )
        self._incomplete_items()
        if self.report.terminal_response is not None:
            self._compare_final(self.report.terminal_response)
        return self.report

    def _incomplete_items(self) -> None:
        items = sorted(self.report.items, key=lambda it: it.output_index)
        for pos, item in enumerate(items):
            done = item.done_item or {}
            if done.get("status") != "incomplete":
                continue
            if pos != len(items) - 1:
                self._flag(ITEM_INCOMPLETE, f"incomplete item {item.id} is not the last item", None)
            if self.report.terminal_type != "response.incomplete":
                self._flag(
                    ITEM_INCOMPLETE,
                    f"item {item.id} is incomplete but the response "
                    f"ends with {self.report.terminal_type}",
                    None,
                )

    def _compare_final(self, response: dict[str, Any]) -> None:
        output = _list(response.get("output"))
        built = sorted(self.report.items, key=lambda it: it.output_index)
        if len(output) != len(built):
            self._flag(
                FINAL_MISMATCH,
                f"the final response has {len(output)} output item(s), "
                f"the events built {len(built)}",
                None,
            )
            return
        for pos, (final, item) in enumerate(zip(output, built, strict=True)):
            final = final if isinstance(final, dict) else {}
            where = f"output[{pos}]"
            if final.get("type") != item.type or (item.id and final.get("id") != item.id):
                self._flag(
                    FINAL_MISMATCH,
                    f"{where} is {final.get('type')} "
                    f"{final.get('id')!r}, the events built {item.type} {item.id!r}",
                    None,
                )
                continue
            for msg in _item_differences(final, item):
                self._flag(FINAL_MISMATCH, f"{where}: {msg}", None)


def _item_differences(final: dict[str, Any], item: _Item) -> Iterable[str]:
    if item.type == "message":
        for i, content in enumerate(_list(final.get("content"))):
            part = item.parts.get(("content", i))
            text = _part_text(content)
            if part is not None and text is not None and text != part.text:
                yield f"content[{i}] text differs from the joined deltas"
    elif item.type == "function_call":
        streamed = item.args or item.args_done is not None
        if streamed and final.get("arguments") != "".join(item.args):
            yield "arguments differ from the joined function_call_arguments deltas"
        done = item.done_item or {}
        for key in ("name", "call_id"):
            if key in done and final.get(key) != done.get(key):
                yield f"{key} {final.get(key)!r} differs from output_item.done ({done.get(key)!r})"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _part_text(part: Any) -> str | None:
    if not isinstance(part, dict):
        return None
    for key in ("text", "refusal"):
        if isinstance(part.get(key), str):
            return str(part[key])
    return None


def analyze(events: Iterable[StreamEvent]) -> StreamReport:
    """Replay a whole stream and report it."""
    machine = StreamMachine()
    for ev in events:
        machine.feed(ev)
    return machine.finish()
