"""Every case that streams judges its stream's framing and terminator.

A framing fault (bytes that are not UTF-8, events without `data:`, no terminator, events
after it) must fail every case that receives it, not only the few cases named after
streaming: a case that forgets the framing checks passes a broken stream on its own.
"""

from __future__ import annotations

from typing import Any

from llmconform.catalog.loader import load_catalog
from llmconform.catalog.steps import build_request
from llmconform.checks import known_checks
from llmconform.model import Case

# Each API family's checks of a stream as a stream: status and Content-Type, SSE framing
# (UTF-8, `data:` fields, JSON payloads), and the terminator with nothing after it.
FRAMING: dict[str, frozenset[str]] = {
    "openai-chat": frozenset({"stream.content_type", "stream.framing", "stream.done"}),
    "openai-completions": frozenset({"stream.content_type", "stream.framing", "stream.done"}),
    "anthropic-messages": frozenset({"ant.stream_http", "ant.stream_framing", "ant.stream_order"}),
    "open-responses": frozenset(
        {"responses.stream_content_type", "responses.stream_events", "responses.stream_terminal"}
    ),
}
# A stream request that must be refused is answered with a JSON error, not a stream: the
# case asserts that error's envelope instead of a framing.
ERROR_ENVELOPE = frozenset({"error.envelope", "ant.error_body", "responses.error_envelope"})


def _streamed_steps(case: Case) -> list[int]:
    """Indexes of the steps the executor sends as stream requests (the planner decides, as
    in a run: a step whose body says `stream: true`)."""
    return [
        i
        for i, step in enumerate(case.steps)
        if build_request(step, {"model": "m"}, case.id, case.api).stream
    ]


def _step_of(args: dict[str, Any], n_steps: int) -> int | None:
    """The step a check looks at (`step` argument, default the last), as a plain index."""
    step = args.get("step", -1)
    if not isinstance(step, int) or not -n_steps <= step < n_steps:
        return None
    return step % n_steps


def _missing_framing(case: Case) -> dict[int, set[str]]:
    """Streamed step -> the family's framing checks no check of the case applies to it."""
    if any(ref.name in ERROR_ENVELOPE for ref in case.checks):
        return {}
    missing: dict[int, set[str]] = {}
    for i in _streamed_steps(case):
        applied = {
            ref.name for ref in case.checks if _step_of(dict(ref.args), len(case.steps)) == i
        }
        if lacking := set(FRAMING[case.api]) - applied:
            missing[i] = lacking
    return missing


def test_every_streamed_step_applies_its_familys_framing_checks() -> None:
    catalog = load_catalog(known_checks=known_checks())
    streaming = [c for c in catalog.cases.values() if _streamed_steps(c)]
    # The scan finds the stream cases of every family (a broken detector would pass vacuously).
    assert {c.api for c in streaming} == set(FRAMING)
    missing = {c.id: m for c in streaming if (m := _missing_framing(c))}
    assert missing == {}


def test_the_framing_checks_named_here_exist() -> None:
    checks = known_checks()
    for names in (*FRAMING.values(), ERROR_ENVELOPE):
        assert names <= set(checks)


def test_a_stream_case_without_framing_is_caught() -> None:
    case = Case(
        id="demo.stream",
        title="A demo stream",
        api="openai-chat",
        steps=({"path": "/chat/completions", "json": {"stream": True}},),
        checks=(),
    )
    assert _missing_framing(case) == {0: set(FRAMING["openai-chat"])}
