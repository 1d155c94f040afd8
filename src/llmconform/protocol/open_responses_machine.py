"""The Open Responses stream machine (pure): replay the events, report every broken rule.

`StreamMachine` decides the stream-level rules (framing, event names, sequence numbers, the
order of the first events, terminal events and `[DONE]`) and, at the end, compares the final
response with what the events built. The events of output items go to its `ItemTracker`
(`open_responses_items`); the rule names and records are in `open_responses`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from llmconform.protocol.open_responses import (
    AFTER_TERMINAL,
    CREATED_FIRST,
    DONE_MARKER,
    DONE_MISSING,
    ERROR_NOT_FAILED,
    FINAL_MISMATCH,
    FINAL_STATUS,
    FRAMING,
    IN_PROGRESS,
    ITEM_INCOMPLETE,
    ITEM_NOT_DONE,
    NAME_MISMATCH,
    NAME_MISSING,
    SEQUENCE,
    STANDARD_ITEMS,
    TERMINAL_EVENTS,
    TERMINAL_MISSING,
    TERMINAL_MULTIPLE,
    BuiltItem,
    StreamEvent,
    StreamReport,
    Violation,
    as_list,
    part_text,
)
from llmconform.protocol.open_responses_items import ItemTracker

# What may come second: progress, or an early end (errors and terminals have their own rules).
_MAY_FOLLOW_CREATED = frozenset(
    {"response.in_progress", "response.queued", "error", *TERMINAL_EVENTS}
)


class StreamMachine:
    """Feed events in order with `feed`, then call `finish` for the report."""

    def __init__(self) -> None:
        self.report = StreamReport()
        self._items = ItemTracker(self.report)
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
            self._items.feed(ev, kind, data)

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
        output = as_list(response.get("output"))
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


def _item_differences(final: dict[str, Any], item: BuiltItem) -> Iterable[str]:
    if item.type == "message":
        for i, content in enumerate(as_list(final.get("content"))):
            part = item.parts.get(("content", i))
            text = part_text(content)
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


def analyze(events: Iterable[StreamEvent]) -> StreamReport:
    """Replay a whole stream and report it."""
    machine = StreamMachine()
    for ev in events:
        machine.feed(ev)
    return machine.finish()
