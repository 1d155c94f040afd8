"""Open Responses streams: the events, the rules a stream can break, and what it builds.

A Responses stream is a sequence of semantic events that build a response object: the
response is created and put in progress, output items are added, their content parts are
added, text and argument deltas append to them, each piece is closed with a `*.done` event
that repeats the whole value, and exactly one terminal event (`response.completed`, `.failed`
or `.incomplete`) carries the final response. `open_responses_machine.StreamMachine` replays
the events in order, rebuilds what they describe and records a `Violation` for each rule a
stream breaks; the checks map rules to requirements. The machine never trusts a `*.done`
event to say what the deltas were: the final response must equal what the deltas built.

This module is the vocabulary that the machine (stream-level rules) and its item tracker
(`open_responses_items`, the lifecycle of output items) share, and that checks and tests
name rules by; it holds no replay logic, so neither half has to import the other for it.
"""

from __future__ import annotations

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
class BuiltPart:
    """A content or summary part as its events built it: deltas so far and how it was closed."""

    added: int
    deltas: list[str] = field(default_factory=list)
    done_text: str | None = None
    closed: bool = False

    @property
    def text(self) -> str:
        """The joined deltas."""
        return "".join(self.deltas)


@dataclass
class BuiltItem:
    """An output item as its events built it: its parts, its argument deltas, its done event."""

    output_index: int
    id: str | None
    type: str
    added: int
    parts: dict[tuple[str, int], BuiltPart] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    args_done: str | None = None
    done_item: dict[str, Any] | None = None


@dataclass
class StreamReport:
    """What a stream built and which rules it broke."""

    violations: list[Violation] = field(default_factory=list)
    terminal_type: str | None = None
    terminal_response: dict[str, Any] | None = None
    items: list[BuiltItem] = field(default_factory=list)
    done_marker: bool = False
    types: list[str] = field(default_factory=list)

    def rules(self) -> set[str]:
        """The names of the broken rules."""
        return {v.rule for v in self.violations}

    def text_of(self, output_index: int) -> str:
        """The text the deltas built for an item: every content part joined (output_text and
        refusal parts alike; reasoning summaries are not content)."""
        for item in self.items:
            if item.output_index == output_index:
                return "".join(
                    p.text for (kind, _), p in sorted(item.parts.items()) if kind == "content"
                )
        return ""


def as_list(value: Any) -> list[Any]:
    """`value` if it is a list, else an empty one (server data may have any shape)."""
    return value if isinstance(value, list) else []


def part_text(part: Any) -> str | None:
    """The text (or refusal) of a content part object; None when it carries neither."""
    if not isinstance(part, dict):
        return None
    for key in ("text", "refusal"):
        if isinstance(part.get(key), str):
            return str(part[key])
    return None


def cut_by_limit(response: dict[str, Any]) -> bool:
    """Whether the response says it stopped at its output-token budget.

    Such a response (status "incomplete", incomplete_details.reason "max_output_tokens") is
    legitimate for any model: the suite bounds every request, so a model that thinks or
    talks longer than the bound is cut. Checks about something else must then accept it, and
    report "cannot tell" where the cut hides what they judge (like finish_reason "length"
    for chat).
    """
    details = response.get("incomplete_details")
    return (
        response.get("status") == "incomplete"
        and isinstance(details, dict)
        and details.get("reason") == "max_output_tokens"
    )
