"""Broken servers: each is flagged by exactly the SDK cases whose SDK call it really breaks.

The faults come from the other areas' broken-server tests. Some wire faults do not bother the
SDKs (the openai SDK ends a stream without `[DONE]` quietly; the anthropic SDK needs no
`message_stop`): the SDK profile then passes while the wire-level cases fail, which is the
point of having both.
"""

from __future__ import annotations

import pytest

from llmconform.model import Outcome, ProfileVerdict

from anthropic_faults import broken
from broken_servers import BrokenApp, Fault
from chat_faults import CASES
from responses_faults import FAULTS as RESPONSES_FAULTS
from sdk_support import ALL_SDK_CASES, PROFILE, needs_sdks, run_sdk_profile
from support import TEST_KEY
from tool_faults import FAULTS as TOOL_FAULTS

pytestmark = needs_sdks

CHAT_FAULTS = {c[0].name: c[0] for c in CASES}
FAULTS: dict[str, Fault] = {
    **CHAT_FAULTS,
    **TOOL_FAULTS,
    **{f.name: f for f, _, _ in RESPONSES_FAULTS},
}
STREAMS = {
    "sdk.openai.chat.stream",
    "sdk.openai.chat.stream_helper",
    "sdk.openai.tools.stream_helper",
}

# (fault, the API family it is made for, the SDK cases it must fail)
EXPECTED: list[tuple[str, str, set[str]]] = [
    ("no_done", "openai", set()),
    ("no_data_prefix", "openai", STREAMS),
    ("finish_reason_missing", "openai", STREAMS),
    # The helper parses a call's arguments when its choice finishes: here, after one fragment.
    ("finish_reason_on_every_chunk", "openai", {"sdk.openai.tools.stream_helper"}),
    (
        "model_list_not_an_object",  # rewrites every list object, embeddings lists included
        "openai",
        {"sdk.openai.models", "sdk.openai.embeddings.float", "sdk.openai.embeddings.default"},
    ),
    ("tool_fragment_without_index", "openai", {"sdk.openai.tools.stream_helper"}),
    ("arguments_as_object", "openai", {"sdk.openai.tools.round_trip"}),
    (
        "tool_choice_required_ignored",
        "openai",
        {"sdk.openai.tools.round_trip", "sdk.openai.tools.stream_helper"},
    ),
    ("no_response_completed", "responses", {"sdk.openai.responses.stream"}),
    ("delta_before_item_added", "responses", {"sdk.openai.responses.stream"}),
    ("final_output_not_built", "responses", {"sdk.openai.responses.stream"}),
    ("no_message_stop", "anthropic", set()),
    ("indices_from_one", "anthropic", {"sdk.anthropic.stream"}),
    ("unnamed_events", "anthropic", {"sdk.anthropic.stream"}),
]

# Words of the failure messages (one must occur), so a case is flagged for the right reason.
REASON: dict[str, str | tuple[str, ...]] = {
    "no_data_prefix": ("no chunk", "AssertionError"),  # the helpers assert they got a chunk
    "finish_reason_missing": "finish_reason",
    "finish_reason_on_every_chunk": "JSONDecodeError",
    "model_list_not_an_object": ("0 embeddings", "AttributeError"),
    "tool_fragment_without_index": "TypeError",
    "arguments_as_object": "arguments",
    "tool_choice_required_ignored": "no tool call",
    "no_response_completed": "response.completed",
    "delta_before_item_added": "RuntimeError",
    "final_output_not_built": "output_text",
    "indices_from_one": "IndexError",
    "unnamed_events": "AssertionError",
}


@pytest.mark.parametrize(("name", "family", "failing"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_fault_fails_exactly_the_sdk_cases_it_breaks(
    name: str, family: str, failing: set[str]
) -> None:
    app = broken(name, TEST_KEY) if family == "anthropic" else BrokenApp(FAULTS[name], TEST_KEY)
    report = run_sdk_profile(app, apis=frozenset({family}))
    assert {c.case_id for c in report.cases} <= ALL_SDK_CASES
    flagged = {c.case_id: c for c in report.cases if c.outcome is not Outcome.PASS}
    assert {k: c.outcome for k, c in flagged.items()} == dict.fromkeys(failing, Outcome.FAIL)
    for case in flagged.values():
        messages = " ".join(f.message for f in case.findings if f.outcome is Outcome.FAIL)
        words = REASON[name]
        assert any(w in messages for w in ((words,) if isinstance(words, str) else words))
        assert all(f.requirement.startswith("SDK-") for f in case.findings)
    [profile] = [p for p in report.profiles if p.name == PROFILE]
    if failing:
        assert profile.verdict is ProfileVerdict.NOT_CERTIFIED
    assert TEST_KEY not in repr(report)
