"""The output items of an Open Responses stream: their lifecycle, parts and deltas.

Every event that names an output item (`output_item.added` and `.done`, content and summary
parts, text and argument deltas and their `*.done` events) is replayed here, separate from
the stream-level rules of `open_responses_machine` (framing, order, sequence numbers,
terminal events): the item rules are the larger half of the machine and need none of its
state, only the report to append items and violations to.
"""

from __future__ import annotations

from typing import Any

from llmconform.protocol.open_responses import (
    ARGS_DELTA,
    ARGS_DONE,
    ARGS_MISMATCH,
    CONTENT_DELTAS,
    CONTENT_DONES,
    ITEM_ID,
    ITEM_ORDER,
    PART_ORDER,
    SUMMARY_DELTA,
    SUMMARY_DONE,
    TEXT_MISMATCH,
    BuiltItem,
    BuiltPart,
    StreamEvent,
    StreamReport,
    Violation,
    as_list,
    part_text,
)


class ItemTracker:
    """Replays the item events of one stream into `report` (its items and violations)."""

    def __init__(self, report: StreamReport) -> None:
        self._report = report
        self._items: dict[int, BuiltItem] = {}
        self._by_id: dict[str, BuiltItem] = {}

    def _flag(self, rule: str, message: str, event: int | None) -> None:
        self._report.violations.append(Violation(rule, message, event))

    def feed(self, ev: StreamEvent, kind: str, data: dict[str, Any]) -> None:
        """Apply one event that is neither a terminal event nor an error."""
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
        item = BuiltItem(index, item_id, str(item_data.get("type")), ev.index)
        self._items[index] = item
        self._report.items.append(item)
        if item_id is not None:
            if item_id in self._by_id:
                self._flag(ITEM_ID, f"item id {item_id!r} is used by two output items", ev.index)
            self._by_id[item_id] = item

    def _resolve(self, ev: StreamEvent, kind: str, data: dict[str, Any]) -> BuiltItem | None:
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

    def _item_done(self, ev: StreamEvent, item: BuiltItem, data: dict[str, Any]) -> None:
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
            for i, content in enumerate(as_list(done.get("content"))):
                built = item.parts.get(("content", i))
                text = part_text(content)
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

    def _part_added(
        self, ev: StreamEvent, item: BuiltItem, kind: str, data: dict[str, Any]
    ) -> None:
        key = self._part_key(kind, data)
        expected = sum(1 for k in item.parts if k[0] == key[0])
        if key[1] != expected:
            self._flag(PART_ORDER, f"{kind} has index {key[1]!r}, expected {expected}", ev.index)
        if isinstance(key[1], int) and key not in item.parts:
            item.parts[key] = BuiltPart(ev.index)

    def _part(
        self, ev: StreamEvent, item: BuiltItem, kind: str, data: dict[str, Any]
    ) -> BuiltPart | None:
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

    def _text_done(self, ev: StreamEvent, item: BuiltItem, kind: str, data: dict[str, Any]) -> None:
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

    def _part_done(self, ev: StreamEvent, item: BuiltItem, kind: str, data: dict[str, Any]) -> None:
        key = self._part_key(kind, data)
        part = item.parts.get(key)
        if part is None or part.closed:
            state = "twice" if part else "before it was added"
            self._flag(PART_ORDER, f"{kind} for {key[0]} index {key[1]!r} {state}", ev.index)
            return
        part.closed = True
        if part.done_text is None and part.text:
            # Clients take the final text from the .done event (output_text.done): a part that
            # streamed deltas closes only after it.
            self._flag(
                PART_ORDER,
                f"{kind} for {key[0]} index {key[1]!r} came without its text's .done event",
                ev.index,
            )
        text = part_text(data.get("part"))
        if text is not None and text != part.text:
            self._flag(TEXT_MISMATCH, f"{kind} text differs from the joined deltas", ev.index)

    def _args_done(self, ev: StreamEvent, item: BuiltItem, data: dict[str, Any]) -> None:
        args = data.get("arguments")
        item.args_done = args if isinstance(args, str) else ""
        if args != "".join(item.args):
            self._flag(
                ARGS_MISMATCH,
                "function_call_arguments.done differs from the joined deltas",
                ev.index,
            )
