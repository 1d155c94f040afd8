"""Open Responses schemas and the stream state machine against real recorded responses.

What OpenAI (and Azure OpenAI) sent must validate with zero schema errors and break no MUST
rule of the state machine; the known deviations of other servers must be caught.
"""

from __future__ import annotations

import csv
import json

import pytest

from llmconform.model import BodyChunk
from llmconform.protocol import open_responses as sm
from llmconform.protocol.open_responses_machine import analyze
from llmconform.protocol.sse import decode_sse
from llmconform.schema.validation import validate

from support import CORPUS

OPENAI = frozenset({"openai", "azure-openai"})
# Rules that are not MUSTs: OpenAI sends no [DONE]; rebuilt corpus framing lost event names.
NOT_MUST = {sm.DONE_MISSING, sm.NAME_MISSING, sm.IN_PROGRESS}


def rows() -> list[dict[str, str]]:
    with (CORPUS / "INDEX.tsv").open(encoding="utf-8", newline="") as index:
        return [
            r for r in csv.DictReader(index, delimiter="\t") if r["api"].startswith("responses")
        ]


def events(file: str) -> list[sm.StreamEvent]:
    decoded, _ = decode_sse([BodyChunk(0, (CORPUS / file).read_bytes())])
    out = []
    for i, ev in enumerate(decoded):
        try:
            data = json.loads(ev.data)
        except json.JSONDecodeError:
            data = None
        out.append(sm.StreamEvent(i, None if ev.event == "message" else ev.event, data, ev.data))
    return out


OPENAI_ROWS = [r for r in rows() if r["provider"] in OPENAI]


def test_corpus_has_openai_bodies_and_streams() -> None:
    assert {r["api"] for r in OPENAI_ROWS} == {"responses", "responses-stream"}


@pytest.mark.parametrize("row", OPENAI_ROWS, ids=lambda r: r["file"])
def test_openai_samples_validate_and_break_no_must_rule(row: dict[str, str]) -> None:
    if row["api"] == "responses":
        body = json.loads((CORPUS / row["file"]).read_text(encoding="utf-8"))
        assert validate(body, "urn:llmconform:schema:responses/response") == []
        return
    evs = events(row["file"])
    assert evs
    for ev in evs:
        if isinstance(ev.data, dict):
            assert validate(ev.data, "urn:llmconform:schema:responses/stream.event") == []
    report = analyze(evs)
    assert report.terminal_type is not None
    assert report.rules() - NOT_MUST == set(), report.violations


# Real deviations of other servers, kept as a named set: (file, rule).
KNOWN_DEVIATIONS = [
    # function_call_arguments.done without a single delta: accumulating clients get "".
    ("responses-stream/lmstudio__lmstudio-tool-call-1.sse", sm.ARGS_MISMATCH),
    # The reasoning item id changes between output_item.added and the final response.
    (
        "responses-stream/openrouter__test-openai-responses-raw-cot-stream-openrouter.sse",
        sm.FINAL_MISMATCH,
    ),
]


@pytest.mark.parametrize(("file", "rule"), KNOWN_DEVIATIONS, ids=lambda v: str(v)[:50])
def test_known_deviations_are_caught(file: str, rule: str) -> None:
    assert rule in analyze(events(file)).rules()
