"""The chat, stream and error checks against real recorded responses (shared/corpus).

Each sample becomes a synthetic `Capture` (the request the sample implies, its recorded status,
its body split into socket-sized chunks) and goes through the real engine (`evaluate`) with the
checks its case kind applies. What OpenAI and Azure OpenAI sent must get no FAIL-level finding:
a check that fails them is miscalibrated. Other providers' failures are printed as a table (run
with -s) and a few clear, client-breaking deviations are asserted by name.
"""

from __future__ import annotations

import collections
import csv
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

from llmconform.catalog.loader import Catalog, load_catalog
from llmconform.engine.evaluate import evaluate
from llmconform.model import (
    BodyChunk,
    Capture,
    Case,
    CheckRef,
    Finding,
    Level,
    Outcome,
    Request,
)

from support import CORPUS

OPENAI_PROVIDERS = frozenset({"openai", "azure-openai"})
# Anthropic's own error bodies are another wire format (Messages API), not a deviation.
NOT_OPENAI_WIRE = frozenset({"anthropic"})

STREAM_CHECKS = (
    "stream.framing",
    "stream.done",
    "stream.chunk_schema",
    "stream.consistent",
    "stream.created",
    "stream.role_first",
    "stream.finish_once",
    "chat.message",
    "chat.choices",
)
# Byte-level checks that cannot judge a stream whose `data:` framing the corpus rebuilt from
# one-chunk-per-line fixtures (no [DONE], no original framing in the source).
FRAMING_CHECKS = frozenset({"stream.framing", "stream.done"})
CHAT_CHECKS = ("chat.schema", "chat.created", "chat.choices", "chat.message", "usage.arithmetic")
ERROR_CHECKS = ("error.envelope",)

# OpenAI's own gpt-audio streams (api.openai.com, recorded by maruel/genai): no finish_reason in
# any of them, and one carries an error event mid-stream. They now WARN (STREAM-FINISH-001,
# STREAM-ERR-001, both SHOULD) instead of failing a MUST: see those requirements' rationale.
GPT_AUDIO_WARNINGS: dict[str, frozenset[str]] = {
    # Two end with a chunk (audio.expires_at) without the finish_reason key: STREAM-010, SHOULD.
    "chat-stream/openai__gpt-audio-genstream-stop.sse": frozenset(
        {"STREAM-FINISH-001", "STREAM-ERR-001", "STREAM-010"}
    ),
    "chat-stream/openai__gpt-audio-genstream-maxtokens.sse": frozenset(
        {"STREAM-FINISH-001", "STREAM-010"}
    ),
    "chat-stream/openai__gpt-audio-genstream-tools-squareroot-1.sse": frozenset(
        {"STREAM-FINISH-001"}
    ),
}


@dataclass(frozen=True)
class Sample:
    """One corpus file of the chat, chat-stream or errors folders, with its INDEX.tsv row."""

    file: str
    api: str
    provider: str
    notes: str

    @property
    def rebuilt_framing(self) -> bool:
        """The corpus added the `data:` framing itself (INDEX.tsv says so)."""
        return 'added "data: " framing' in self.notes

    @property
    def status(self) -> int:
        """The recorded status; when not recorded, 200 for answers and 400 (429 for quota)."""
        found = re.search(r"http_status=(\d{3})", self.notes)
        if found:
            return int(found.group(1))
        if self.api != "errors":
            return 200
        return 429 if "insufficient_quota" in self.notes else 400

    @property
    def checks(self) -> tuple[str, ...]:
        """The checks this sample's kind of exchange is judged by."""
        if self.api == "chat-stream":
            skip = FRAMING_CHECKS if self.rebuilt_framing else frozenset()
            return tuple(c for c in STREAM_CHECKS if c not in skip)
        return CHAT_CHECKS if self.api == "chat" else ERROR_CHECKS


def samples() -> list[Sample]:
    with (CORPUS / "INDEX.tsv").open(encoding="utf-8", newline="") as index:
        rows = list(csv.DictReader(index, delimiter="\t"))
    return [
        Sample(r["file"], r["api"], r["provider"], r["notes"])
        for r in rows
        if r["api"] in ("chat", "chat-stream", "errors") and r["provider"] not in NOT_OPENAI_WIRE
    ]


def _stream_values(body: bytes) -> list[Any]:
    """JSON payloads of a recorded stream (a test-local reading, only to pick `created`)."""
    out = []
    for line in body.decode("utf-8", "replace").splitlines():
        if line.startswith("data:") and line[5:].strip() != "[DONE]":
            try:
                out.append(json.loads(line[5:]))
            except json.JSONDecodeError:
                continue
    return out


def sample_created(body: bytes, stream: bool) -> float:
    """The first positive `created` of the sample, so CHAT-003 (near the request time) is
    neutral: the recording time is unknown. 0 when there is none."""
    values = _stream_values(body) if stream else [json.loads(body)]
    for value in values:
        created = value.get("created") if isinstance(value, dict) else None
        if isinstance(created, int) and not isinstance(created, bool) and created > 0:
            return float(created)
    return 0.0


def capture_of(sample: Sample, sent_at: float | None = None, piece: int = 256) -> Capture:
    """The Capture a live exchange would have produced for this sample."""
    body = (CORPUS / sample.file).read_bytes()
    stream = sample.api == "chat-stream"
    request = Request(
        "POST",
        "/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": stream},
        stream=stream,
    )
    chunks = tuple(BodyChunk(1000 + i, body[i : i + piece]) for i in range(0, len(body), piece))
    content_type = "text/event-stream" if stream else "application/json"
    return Capture(
        request,
        sample.status,
        (("content-type", content_type),),
        chunks,
        t_sent_ns=0,
        sent_at=sample_created(body, stream) if sent_at is None else sent_at,
        t_headers_ns=500,
        t_end_ns=2000 + len(chunks),
    )


@cache
def catalog() -> Catalog:
    return load_catalog()


def findings_of(sample: Sample, capture: Capture | None = None) -> list[Finding]:
    case = Case(
        f"corpus:{sample.file}",
        sample.file,
        "openai-chat",
        (),
        tuple(CheckRef(name) for name in sample.checks),
    )
    result = evaluate(case, [capture or capture_of(sample)], catalog().requirements, "m")
    return list(result.findings)


def failing(findings: list[Finding]) -> set[str]:
    return {f.requirement for f in findings if f.outcome is Outcome.FAIL}


ALL = samples()
OPENAI_SAMPLES = [s for s in ALL if s.provider in OPENAI_PROVIDERS]
OTHER_SAMPLES = [s for s in ALL if s.provider not in OPENAI_PROVIDERS]


def test_corpus_has_openai_samples_of_every_kind() -> None:
    assert {s.api for s in OPENAI_SAMPLES} == {"chat", "chat-stream", "errors"}
    assert len(OPENAI_SAMPLES) >= 30


@pytest.mark.parametrize("sample", OPENAI_SAMPLES, ids=lambda s: s.file)
def test_openai_and_azure_samples_get_no_failure(sample: Sample) -> None:
    # No waiver: what OpenAI's own API sent cannot fail a MUST, or the MUST is miscalibrated.
    findings = findings_of(sample)
    assert not [f for f in findings if f.outcome is Outcome.ERROR], findings
    assert failing(findings) == set(), [f for f in findings if f.outcome is Outcome.FAIL]
    assert not [f for f in findings if f.level is Level.MUST and f.outcome is not Outcome.PASS]


def test_openai_gpt_audio_streams_only_warn() -> None:
    audio = {s.file: s for s in OPENAI_SAMPLES if "gpt-audio" in s.file and s.api == "chat-stream"}
    assert set(audio) == set(GPT_AUDIO_WARNINGS)
    for file, expected in GPT_AUDIO_WARNINGS.items():
        findings = findings_of(audio[file])
        warned = {f.requirement for f in findings if f.outcome is Outcome.WARN}
        assert warned == expected, file
        assert {f.level for f in findings if f.outcome is Outcome.WARN} == {Level.SHOULD}


def test_openai_mid_stream_error_is_judged_by_its_shape_not_as_a_chunk() -> None:
    [sample] = [s for s in ALL if s.file == "chat-stream/openai__gpt-audio-genstream-stop.sse"]
    findings = findings_of(sample)
    assert not [f for f in findings if f.requirement == "STREAM-005"]
    [finding] = [f for f in findings if f.requirement == "STREAM-ERR-001"]
    assert finding.outcome is Outcome.WARN
    assert finding.path == "event[3]"
    assert finding.message.startswith("the stream carried an error: Could not finish the message")


def test_azure_prompt_filter_preamble_is_not_a_stream_inconsistency() -> None:
    azure = [s for s in OPENAI_SAMPLES if s.provider == "azure-openai" and s.api == "chat-stream"]
    assert azure
    for sample in azure:
        assert b'"prompt_filter_results"' in (CORPUS / sample.file).read_bytes()[:2000]
        reqs = {f.requirement for f in findings_of(sample)}
        assert not reqs & {"STREAM-006", "STREAM-007", "CHAT-003"}, sample.file


def test_no_check_crashes_on_any_sample() -> None:
    crashed = [
        (s.file, f.message) for s in ALL for f in findings_of(s) if f.outcome is Outcome.ERROR
    ]
    assert crashed == []


def test_report_other_providers_failures() -> None:
    """Print which providers fail which requirements (not asserted: the corpus is evidence)."""
    fails: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    warns: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    checked: collections.Counter[str] = collections.Counter()
    for sample in OTHER_SAMPLES:
        checked[sample.provider] += 1
        findings = findings_of(sample)
        for req in failing(findings):
            fails[sample.provider][req] += 1
        for req in {f.requirement for f in findings if f.outcome is Outcome.WARN}:
            warns[sample.provider][req] += 1
    print("\nnon-OpenAI samples: FAIL (and WARN) requirement ids, samples affected / checked")
    for provider in sorted(checked):
        f = " ".join(f"{r}:{n}" for r, n in sorted(fails[provider].items())) or "-"
        w = " ".join(f"{r}:{n}" for r, n in sorted(warns[provider].items()))
        print(f"  {provider:<24} {checked[provider]:>3}  FAIL {f}" + (f"  WARN {w}" if w else ""))
    assert sum(checked.values()) > 0


# Real, documented deviations that break clients: (file, requirement, words in the message).
KNOWN_DEVIATIONS = [
    # Tool-call deltas without `index`: the SDK accumulator raises on them.
    (
        "chat-stream/ollama__test-openai-chat-model-acomplete-ollama-return-true-output-types1-bool.sse",
        "STREAM-005",
        'required property "index" is missing',
    ),
    (
        "chat-stream/gemini-openai__test-openai-chat-model-gemini-acomplete-return-true-output-types1-bool.sse",
        "STREAM-005",
        'required property "index" is missing',
    ),
    # Groq's compound models: no role in the first delta, chunks of one stream with several ids.
    ("chat-stream/groq__test-groq-model-web-search-tool-stream.sse", "STREAM-008", "role None"),
    (
        "chat-stream/groq__test-groq-model-web-search-tool-stream.sse",
        "STREAM-006",
        "chunks disagree on 'id'",
    ),
    # Perplexity: chunks labelled as whole completions, and no [DONE].
    (
        "chat-stream/perplexity__sonar-pro-genstream-maxtokens.sse",
        "STREAM-005",
        'expected "chat.completion.chunk", got "chat.completion"',
    ),
    ("chat-stream/perplexity__sonar-pro-genstream-maxtokens.sse", "STREAM-003", "[DONE]"),
    # OpenRouter repeats finish_reason on the usage chunk.
    (
        "chat-stream/openrouter__test-openrouter-web-search-annotations-stream.sse",
        "STREAM-009",
        "2 non-null finish_reason",
    ),
    # xAI: total_tokens includes reasoning tokens that completion_tokens leaves out.
    ("chat/xai__xai-text.json", "USAGE-002", "total_tokens=334"),
    # Snowflake Cortex: an empty string as finish_reason.
    ("chat/snowflake-cortex__test-snowflake-llama.json", "CHAT-001", '"" is not one of'),
    # Error bodies in other shapes: {"error": "string"}, FastAPI's {"detail": …}, flat fields.
    ("errors/baseten__errors-bad-apikey-genstream.json", "ERR-005", "expected object, got string"),
    ("errors/mistral__errors-bad-apikey-genstream.json", "ERR-005", "{'detail': 'Unauthorized'}"),
    ("errors/cerebras__errors-bad-apikey-genstream.json", "ERR-005", '"error" is missing'),
]


# Errors inside a 200 stream (DashScope's whole stream is one error event; Groq mid-stream):
# reported, at SHOULD (STREAM-ERR-001), since OpenAI's own streams do it too; not a chunk-schema
# failure (STREAM-005).
KNOWN_STREAM_ERRORS = [
    (
        "chat-stream/alibaba-dashscope__qwen3-vl-flash-genstreammultimodal-image-gif-url.sse",
        "the stream carried an error: <400> InternalError.Algo.InvalidParameter",
    ),
    (
        "chat-stream/groq__test-tool-use-failed-error-streaming.sse",
        "the stream carried an error: Tool call validation failed",
    ),
]


@pytest.mark.parametrize(("file", "needle"), KNOWN_STREAM_ERRORS, ids=lambda v: str(v)[-50:])
def test_known_stream_errors_warn(file: str, needle: str) -> None:
    [sample] = [s for s in ALL if s.file == file]
    findings = findings_of(sample)
    assert any(
        f.requirement == "STREAM-ERR-001" and f.outcome is Outcome.WARN and needle in f.message
        for f in findings
    ), findings
    assert not [f for f in findings if f.requirement == "STREAM-005" and needle[30:] in f.message]


@pytest.mark.parametrize(
    ("file", "requirement", "needle"), KNOWN_DEVIATIONS, ids=lambda v: str(v)[-50:]
)
def test_known_provider_deviations_fail(file: str, requirement: str, needle: str) -> None:
    [sample] = [s for s in ALL if s.file == file]
    assert sample.provider not in OPENAI_PROVIDERS
    findings = [f for f in findings_of(sample) if f.requirement == requirement]
    assert any(f.outcome is Outcome.FAIL and needle in f.message for f in findings), findings


def test_created_zero_warns_when_the_request_time_is_known() -> None:
    # Snowflake Cortex streams `created: 0` (and `id: ""`) in every chunk.
    [sample] = [
        s for s in ALL if s.file.endswith("snowflake-cortex__test-snowflake-thinking-streaming.sse")
    ]
    capture = capture_of(sample, sent_at=1_770_000_000.0)
    findings = [f for f in findings_of(sample, capture) if f.check == "stream.created"]
    assert [(f.requirement, f.outcome) for f in findings] == [("CHAT-003", Outcome.WARN)]
    assert "created=0" in findings[0].message


def test_results_do_not_depend_on_how_the_body_was_split() -> None:
    # The SSE decoder is incremental: one byte per read must give the same findings.
    sample = next(s for s in OPENAI_SAMPLES if s.api == "chat-stream" and not s.rebuilt_framing)
    whole = findings_of(sample, capture_of(sample, piece=1 << 20))
    split = findings_of(sample, capture_of(sample, piece=1))
    assert [(f.requirement, f.message) for f in whole] == [
        (f.requirement, f.message) for f in split
    ]
