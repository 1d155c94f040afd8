"""`POST /v1/completions`: OpenAI's legacy text Completions API, streamed or not.

Like chat, the "model" echoes: each prompt's completion is the prompt's own text (see
`generation`), cut by `stop` and `max_tokens` (default 16, as documented). `echo: true` puts
the prompt in front of it; `logprobs: k` adds the legacy parallel arrays, where every token
has probability 1 and the first echoed token has no logprob (nothing precedes it). Token-id
prompts are rendered as their ids separated by spaces, since the reference has no vocabulary.

Choices are ordered prompt by prompt, `n` per prompt: choice `p * n + j` is the j-th
completion of prompt p. prompt_tokens counts each prompt once; completion_tokens counts
the generated (not echoed) tokens of every choice.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from llmconform.reference import params
from llmconform.reference.asgi import HttpRequest, JsonResponse, Response, StreamResponse, sse_event
from llmconform.reference.errors import bad_request, invalid_type, missing, model_not_found
from llmconform.reference.generation import Generation, generate, reply_source
from llmconform.reference.settings import SYSTEM_FINGERPRINT, Settings
from llmconform.reference.tokenizer import tokenize

DONE = b"data: [DONE]\n\n"
DEFAULT_MAX_TOKENS = 16  # OpenAI's documented default for this endpoint
_MAX_STOP = 4
_MAX_N = 128


@dataclass(frozen=True)
class Prompt:
    """One prompt: its text and how many tokens it counts for."""

    text: str
    tokens: int


@dataclass(frozen=True)
class CompletionRequest:
    """What the handler needs from a valid request."""

    model: str
    prompts: tuple[Prompt, ...]
    n: int = 1
    max_tokens: int = DEFAULT_MAX_TOKENS
    stop: tuple[str, ...] = ()
    stream: bool = False
    include_usage: bool = False
    echo: bool = False
    logprobs: int | None = None


@dataclass(frozen=True)
class Choice:
    """One choice to send: its index, prompt, generation and the tokens it shows."""

    index: int
    prompt: Prompt
    gen: Generation
    echo: bool

    @property
    def shown(self) -> tuple[str, ...]:
        """The tokens of the choice's text: the echoed prompt's, then the generated ones."""
        return (*tokenize(self.prompt.text), *self.gen.tokens) if self.echo else self.gen.tokens


async def create_completion(request: HttpRequest) -> Response:
    """Handle one legacy completion request."""
    req = parse_completion_request(params.parse_object(request.body))
    if req.model not in request.settings.models:
        raise model_not_found(req.model)
    choices = [
        Choice(p * req.n + j, prompt, gen, req.echo)
        for p, prompt in enumerate(req.prompts)
        for gen in [generate(reply_source(prompt.text), stop=req.stop, max_tokens=req.max_tokens)]
        for j in range(req.n)
    ]
    prompt_tokens = sum(p.tokens for p in req.prompts)
    completion_tokens = sum(len(c.gen.tokens) for c in choices)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    head: dict[str, Any] = {
        "id": "cmpl-" + uuid.uuid4().hex,
        "object": "text_completion",
        "created": int(time.time()),
        "model": req.model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    if req.stream:
        return StreamResponse(_events(req, choices, usage, head, request.settings))
    body = [
        {
            "text": "".join(c.shown),
            "index": c.index,
            "logprobs": _logprobs(c.shown, c, 0, req.logprobs),
            "finish_reason": c.gen.finish_reason,
        }
        for c in choices
    ]
    return JsonResponse({**head, "choices": body, "usage": usage})


def _logprobs(tokens: tuple[str, ...], c: Choice, first: int, k: int | None) -> Any:
    """The legacy logprobs object for `tokens`, the `first`-th onwards of the choice's text.

    Offsets count characters from the start of the prompt, as OpenAI's do, so without echo
    the first offset is the prompt's length.
    """
    if k is None:
        return None
    offset = len(c.prompt.text) if not c.echo else 0
    offset += sum(len(t) for t in c.shown[:first])
    out: dict[str, list[Any]] = {
        "tokens": [],
        "token_logprobs": [],
        "top_logprobs": [],
        "text_offset": [],
    }
    for pos, token in enumerate(tokens, start=first):
        unconditioned = c.echo and pos == 0  # the first prompt token follows nothing
        out["tokens"].append(token)
        out["token_logprobs"].append(None if unconditioned else 0.0)
        out["top_logprobs"].append(None if unconditioned else ({token: 0.0} if k else {}))
        out["text_offset"].append(offset)
        offset += len(token)
    return out


async def _events(
    req: CompletionRequest,
    choices: list[Choice],
    usage: dict[str, Any],
    head: dict[str, Any],
    settings: Settings,
) -> AsyncIterator[bytes]:
    """One chunk per token and choice, a final empty-text chunk per choice with its
    finish_reason, the usage chunk (empty choices) if asked, then `data: [DONE]`."""

    def chunk(c: Choice, text: str, finish: str | None, lp: Any) -> bytes:
        body: dict[str, Any] = {
            **head,
            "choices": [{"text": text, "index": c.index, "logprobs": lp, "finish_reason": finish}],
        }
        if req.include_usage:
            body["usage"] = None
        return sse_event(body)

    longest = max((len(c.shown) for c in choices), default=0)
    for pos in range(longest):
        delay = settings.ttft_delay_s if pos == 0 else settings.token_delay_s
        if delay > 0:
            await asyncio.sleep(delay)
        for c in choices:
            if pos < len(c.shown):
                token = c.shown[pos]
                yield chunk(c, token, None, _logprobs((token,), c, pos, req.logprobs))
    for c in choices:
        yield chunk(c, "", c.gen.finish_reason, None)
    if req.include_usage:
        yield sse_event({**head, "choices": [], "usage": usage})
    yield DONE


def parse_completion_request(body: params.Body) -> CompletionRequest:
    """Validate a decoded body; raise a 400 `ApiError` naming the first bad parameter."""
    model = params.required_string(body, "model")
    prompts = _prompts(body)
    params.number(body, "temperature", low=0, high=2)
    params.number(body, "top_p", low=0, high=1)
    params.number(body, "presence_penalty", low=-2, high=2)
    params.number(body, "frequency_penalty", low=-2, high=2)
    params.integer(body, "seed")
    params.string(body, "user")
    params.string(body, "suffix")  # accepted; an echo has nothing to insert before it
    params.obj(body, "logit_bias")
    n = params.integer(body, "n", low=1, high=_MAX_N) or 1
    stream = params.boolean(body, "stream") or False
    best_of = params.integer(body, "best_of", low=0, high=20)
    if best_of is not None and best_of < n:
        raise bad_request(
            "'best_of' must be greater than or equal to 'n'.", param="best_of", code="invalid_value"
        )
    if stream and best_of is not None and best_of > 1:
        raise bad_request(
            "'best_of' greater than 1 cannot be streamed.", param="best_of", code="invalid_value"
        )
    options = params.obj(body, "stream_options")
    if options is not None and not stream:
        raise bad_request(
            "'stream_options' is only allowed when 'stream' is true.",
            param="stream_options",
            code="invalid_value",
        )
    include_usage = (options or {}).get("include_usage")
    if include_usage is not None and not isinstance(include_usage, bool):
        raise invalid_type("stream_options.include_usage", "a boolean", include_usage)
    max_tokens = params.integer(body, "max_tokens", low=0)
    return CompletionRequest(
        model=model,
        prompts=prompts,
        n=n,
        max_tokens=DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens,
        stop=params.stop_sequences(body, _MAX_STOP),
        stream=stream,
        include_usage=bool(include_usage),
        echo=params.boolean(body, "echo") or False,
        logprobs=params.integer(body, "logprobs", low=0, high=5),
    )


def _prompts(body: params.Body) -> tuple[Prompt, ...]:
    prompt = body.get("prompt")
    if prompt is None:
        raise missing("prompt")
    if isinstance(prompt, str):
        return (Prompt(prompt, len(tokenize(prompt))),)
    expected = "a string, an array of strings, or an array of token ids or token-id arrays"
    if not isinstance(prompt, list):
        raise invalid_type("prompt", expected, prompt)
    if not prompt:
        raise bad_request(
            "'prompt' must not be an empty array.", param="prompt", code="empty_array"
        )
    if all(isinstance(p, str) for p in prompt):
        return tuple(Prompt(p, len(tokenize(p))) for p in prompt)
    if all(_is_token(t) for t in prompt):
        return (_token_prompt(prompt),)
    if all(isinstance(p, list) and p and all(_is_token(t) for t in p) for p in prompt):
        return tuple(_token_prompt(p) for p in prompt)
    raise invalid_type("prompt", expected, prompt)


def _is_token(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _token_prompt(ids: list[int]) -> Prompt:
    # No vocabulary: the ids themselves are the text, and each id is one token.
    return Prompt(" ".join(str(i) for i in ids), len(ids))
