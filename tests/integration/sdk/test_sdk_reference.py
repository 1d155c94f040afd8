"""The reference server passes every SDK case, through the real SDKs, with its key enforced."""

from __future__ import annotations

import dataclasses
import json

from llmconform.checks.sdk import OUTCOME_METHOD
from llmconform.engine.sdk_cases import FEATURES
from llmconform.model import Outcome, ProfileVerdict
from llmconform.reference.app import create_app
from llmconform.transport.sdk_runner import PLACEHOLDER_KEY

from sdk_support import ALL_SDK_CASES, PROFILE, needs_sdks, run_sdk_profile
from support import TEST_KEY

pytestmark = needs_sdks


def test_reference_passes_every_sdk_case_and_the_key_stays_out() -> None:
    # The reference requires TEST_KEY: the SDK, which only holds a placeholder, can pass only
    # because the executor adds the real key to each request the SDK builds.
    report = run_sdk_profile(create_app(api_key=TEST_KEY))
    assert {c.case_id for c in report.cases} == ALL_SDK_CASES
    bad = {
        c.case_id: [f.message for f in c.findings] or c.reason
        for c in report.cases
        if c.outcome is not Outcome.PASS
    }
    assert bad == {}
    [profile] = [p for p in report.profiles if p.name == PROFILE]
    assert profile.verdict is ProfileVerdict.CERTIFIED
    assert profile.requirements == profile.passed == 14
    for case in report.cases:
        *wire, outcome = case.exchanges
        assert wire, f"{case.case_id} made no HTTP exchange"
        # What a feature declares for scheduling is what it sends.
        assert len(wire) == FEATURES[case.case_id].exchanges, case.case_id
        assert all(e.method in ("GET", "POST") and e.status == 200 for e in wire)
        assert outcome.method == OUTCOME_METHOD
        assert '"status": "ok"' in outcome.response_excerpt  # an excerpt: not whole JSON
    text = json.dumps(dataclasses.asdict(report), default=str)
    assert TEST_KEY not in text
    assert PLACEHOLDER_KEY not in text


def test_the_tool_round_trips_make_two_requests() -> None:
    report = run_sdk_profile(
        create_app(api_key=TEST_KEY), apis=frozenset({"openai", "anthropic"}), keyword="tools"
    )
    paths = {c.case_id: [e.path for e in c.exchanges][:-1] for c in report.cases}
    assert paths == {
        "sdk.openai.tools.round_trip": ["/chat/completions", "/chat/completions"],
        "sdk.openai.tools.stream_helper": ["/chat/completions"],
        "sdk.anthropic.tools": ["/messages", "/messages"],
    }
