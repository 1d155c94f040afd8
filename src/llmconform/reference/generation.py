"""Deterministic "generation": the reference server echoes, it does not think.

Any API module turns its request into a source text (for chat: the last user message) and
asks `generate` to apply the output limits every API shares: stop sequences and a token
budget. Knowing exactly what a request will produce is what lets the conformance suite check
that a server *honours* `stop` and `max_tokens` instead of merely accepting them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from llmconform.reference.tokenizer import tokenize

FALLBACK_REPLY = "OK"


@dataclass(frozen=True)
class Generation:
    """The tokens to emit and why emission ended (`"stop"` or `"length"`)."""

    tokens: tuple[str, ...]
    finish_reason: str

    @property
    def text(self) -> str:
        """The generated text (the concatenation of the tokens)."""
        return "".join(self.tokens)


def reply_source(text: str) -> str:
    """The text to echo: `text` itself, or a fixed reply when it has nothing to echo."""
    return text if text.strip() else FALLBACK_REPLY


def generate(source: str, *, stop: Sequence[str] = (), max_tokens: int | None = None) -> Generation:
    """Produce `source`, cut at the first stop sequence and then at `max_tokens` tokens.

    The stop sequence itself is never emitted. Cutting by stop first and by tokens second
    means whichever limit bites earlier decides `finish_reason`: when the text before the
    stop sequence already exceeds the budget, the budget wins and the reason is `"length"`.
    Empty stop strings are ignored: they would match everywhere and mean nothing.
    """
    cut = len(source)
    for seq in stop:
        if seq:
            pos = source.find(seq)
            if 0 <= pos < cut:
                cut = pos
    tokens = tokenize(source[:cut])
    if max_tokens is not None and len(tokens) > max_tokens:
        return Generation(tuple(tokens[:max_tokens]), "length")
    return Generation(tuple(tokens), "stop")


@dataclass(frozen=True)
class CallGeneration:
    """One tool call to emit: the function name and its arguments, token by token."""

    name: str
    argument_tokens: tuple[str, ...]

    @property
    def arguments(self) -> str:
        """The arguments text (a JSON object unless the token budget cut it)."""
        return "".join(self.argument_tokens)


@dataclass(frozen=True)
class ToolGeneration:
    """Tool calls to emit and why emission ended (`"tool_calls"` or `"length"`)."""

    calls: tuple[CallGeneration, ...]
    finish_reason: str

    @property
    def token_count(self) -> int:
        """Tokens spent: one per function name plus the argument tokens."""
        return sum(1 + len(c.argument_tokens) for c in self.calls)


def generate_calls(
    calls: Sequence[tuple[str, str]], *, max_tokens: int | None = None
) -> ToolGeneration:
    """Emit `(name, arguments)` calls within `max_tokens`: a name costs one token.

    When the budget runs out the arguments are cut mid-JSON and the reason is `"length"`,
    as with text: a client must not run a tool on a truncated call.
    """
    budget = max_tokens if max_tokens is not None else None
    out: list[CallGeneration] = []
    for name, arguments in calls:
        tokens = tokenize(arguments)
        if budget is not None:
            if budget < 1:
                return ToolGeneration(tuple(out), "length")
            budget -= 1
            if len(tokens) > budget:
                out.append(CallGeneration(name, tuple(tokens[:budget])))
                return ToolGeneration(tuple(out), "length")
            budget -= len(tokens)
        out.append(CallGeneration(name, tuple(tokens)))
    return ToolGeneration(tuple(out), "tool_calls")
