"""Anthropic usage checks: what a stream reports about the prompt it was given.

message_start carries the Message with the prompt's usage; clients that track the context
window (Claude Code's auto-compaction, cost meters) read the input side from it. A prompt is
never free: it costs at least one input token, counted as `input_tokens` or, when the prompt
cache served it, as `cache_read_input_tokens` / `cache_creation_input_tokens`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmconform.checks.context import CheckContext, Unverifiable
from llmconform.checks.registry import Issue, check

INPUT_FIELDS = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


@check("ant.stream_input_usage", "ANT-STREAM-012")
def stream_input_usage(ctx: CheckContext) -> Iterator[Issue]:
    """message_start reports the prompt's input tokens (input plus cache counts above 0)."""
    ex = ctx.primary
    start = next((p for p in ex.payloads if _type(p.value) == "message_start"), None)
    if start is None:
        raise Unverifiable("the stream has no message_start")
    message = start.value.get("message")
    usage = message.get("usage") if isinstance(message, dict) else None
    if not isinstance(usage, dict):
        raise Unverifiable("message_start carries no usage")  # ANT-STREAM-004 judges its shape
    counts = [usage.get(f) for f in INPUT_FIELDS]
    total = sum(c for c in counts if isinstance(c, int) and not isinstance(c, bool))
    if total <= 0:
        shown = ", ".join(f"{f}={usage.get(f)!r}" for f in INPUT_FIELDS if f in usage)
        yield Issue(
            "ANT-STREAM-012",
            f"message_start reports no input tokens for a non-empty prompt ({shown})",
            f"event[{start.event_index}].message.usage",
            ex.index,
        )


def _type(value: Any) -> str:
    return str(value.get("type", "")) if isinstance(value, dict) else ""
