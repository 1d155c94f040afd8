"""Anthropic extended-thinking checks: thinking blocks appear when asked for, only then, and
carry the signature clients must send back.

Judged on `message_of(ex)`: the body, or the message the stream folds into (its signature
set by the signature_delta events), so one check serves both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmconform.checks.anthropic.core import message_of, request_of
from llmconform.checks.context import CheckContext, Unverifiable
from llmconform.checks.registry import Issue, check

THINKING_BLOCKS = frozenset({"thinking", "redacted_thinking"})


def thinking_requested(request: dict[str, Any]) -> bool:
    """Whether the request turned extended thinking on (enabled or adaptive)."""
    thinking = request.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


def _blocks(ex_message: dict[str, Any]) -> list[dict[str, Any]]:
    content = ex_message.get("content")
    if not isinstance(content, list):
        raise Unverifiable("the message has no content list")  # ANT-001 judges its shape
    return [b for b in content if isinstance(b, dict)]


@check("ant.thinking_signed", "ANT-THINK-001")
def thinking_signed(ctx: CheckContext) -> Iterator[Issue]:
    """Every thinking block carries a non-empty signature (streamed: by signature_delta)."""
    ex = ctx.primary
    for i, block in enumerate(_blocks(message_of(ex))):
        if block.get("type") != "thinking":
            continue
        signature = block.get("signature")
        if not isinstance(signature, str) or not signature:
            how = "no signature_delta set it" if ex.is_stream else "it has none"
            yield Issue(
                "ANT-THINK-001",
                f"thinking block {i} has signature {signature!r}: {how}",
                f"content[{i}].signature",
                ex.index,
            )


@check("ant.thinking_present", "ANT-THINK-002")
def thinking_present(ctx: CheckContext) -> Iterator[Issue]:
    """With thinking on, the answer opens with a thinking (or redacted_thinking) block."""
    ex = ctx.primary
    if not thinking_requested(request_of(ex)):
        raise Unverifiable("the request did not turn thinking on")
    blocks = _blocks(message_of(ex))
    kinds = [str(b.get("type")) for b in blocks]
    if not any(k in THINKING_BLOCKS for k in kinds):
        yield Issue(
            "ANT-THINK-002",
            f"thinking was enabled but the content has no thinking block (blocks: {kinds})",
            "content",
            ex.index,
        )
        return
    if kinds[0] not in THINKING_BLOCKS:
        yield Issue(
            "ANT-THINK-002",
            f"the answer opens with a {kinds[0]} block, not its thinking (blocks: {kinds})",
            "content[0]",
            ex.index,
        )


@check("ant.no_unasked_thinking", "ANT-THINK-003")
def no_unasked_thinking(ctx: CheckContext) -> Iterator[Issue]:
    """A request that does not turn thinking on gets no thinking blocks."""
    ex = ctx.primary
    if thinking_requested(request_of(ex)):
        raise Unverifiable("the request turned thinking on")
    for i, block in enumerate(_blocks(message_of(ex))):
        if block.get("type") in THINKING_BLOCKS:
            yield Issue(
                "ANT-THINK-003",
                f"content[{i}] is a {block.get('type')} block, but the request did not ask for "
                "thinking",
                f"content[{i}]",
                ex.index,
            )
