"""engine.select: which cases a claim of profiles selects (pure, over the packaged catalog)."""

from __future__ import annotations

from llmconform.catalog.loader import load_catalog
from llmconform.checks import known_checks
from llmconform.engine.select import OPT_IN_TAG, case_profiles, opt_in_profiles, selected

CATALOG = load_catalog(known_checks=known_checks())
OPENAI = ["openai"]


def _ids(claimed: list[str]) -> set[str]:
    return {c.id for c in CATALOG.cases.values() if selected(c, CATALOG, OPENAI, claimed)}


def test_only_an_opt_in_profile_selects_an_opt_in_case() -> None:
    # The latency case also checks stream framing, so it reports on chat-streaming too;
    # claiming chat-streaming must not buy its 300 timed requests.
    latency = CATALOG.cases["perf.stream_latency"]
    assert "chat-streaming" in case_profiles(latency, CATALOG)
    assert opt_in_profiles(CATALOG) == {"performance", "accuracy"}
    assert "perf.stream_latency" not in _ids(["chat-streaming"])
    assert "perf.stream_latency" in _ids(["chat-streaming", "performance"])
    assert not {i for i in _ids([]) if OPT_IN_TAG in CATALOG.cases[i].tags}


def test_a_scoped_profile_selects_only_its_apis_cases() -> None:
    streaming = _ids(["chat-streaming"])
    assert streaming and all(CATALOG.cases[i].api == "openai-chat" for i in streaming)
    completions = _ids(["completions"])
    assert completions and all(CATALOG.cases[i].api == "openai-completions" for i in completions)
