"""The key never survives in text a report shows: whole, escaped, encoded, or cut in half."""

from __future__ import annotations

import json
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from llmconform.engine.redaction import redact, redact_result
from llmconform.model import (
    CaseResult,
    CaseWork,
    Connection,
    ExchangeSummary,
    Finding,
    Level,
    Limits,
    Outcome,
    Request,
)
from llmconform.transport.executor import execute

from server import KEY

SLASHY = 'sk-ab/cd+ef"gh\\ij'  # a key whose JSON and URL forms differ from the key


def test_whole_key_and_its_encoded_forms_are_redacted() -> None:
    for text in (KEY, json.dumps(SLASHY), quote(SLASHY, safe=""), f"a {KEY} b {KEY} c"):
        secret = KEY if KEY in text else SLASHY
        out = redact(text, secret)
        assert secret not in out and json.dumps(SLASHY)[1:-1] not in out
        assert quote(SLASHY, safe="") not in out and "[REDACTED]" in out


def test_key_cut_by_an_excerpt_is_redacted_at_either_end() -> None:
    assert redact("Authorization: Bearer " + KEY[:12], KEY) == "Authorization: Bearer [REDACTED]"
    assert redact(KEY[-10:] + " trailing", KEY) == "[REDACTED] trailing"
    assert redact("ends in sk-ho", KEY) == "ends in sk-ho"  # five characters say nothing


def test_nothing_to_redact_leaves_text_alone() -> None:
    assert redact("plain text", None) == "plain text"
    assert redact("plain text", "") == "plain text"
    assert redact("plain text", KEY) == "plain text"


@given(st.text(max_size=80), st.text(max_size=80), st.integers(0, len(KEY)))
def test_no_piece_of_six_or_more_key_characters_survives_at_the_edges(
    before: str, after: str, cut: int
) -> None:
    # An excerpt cut anywhere through an embedded key.
    text = (before + KEY + after)[: len(before) + cut]
    out = redact(text, KEY)
    assert KEY not in out
    tail = KEY[:cut]
    if cut >= 6:
        assert not out.endswith(tail)


def _redact_by_scanning(text: str, secret: str) -> str:
    """The rule spelled out without shortcuts: what `redact` must equal."""
    for form in sorted({secret, json.dumps(secret)[1:-1], quote(secret, safe="")}, key=len)[::-1]:
        text = text.replace(form, "[REDACTED]")
    for n in range(len(secret) - 1, 5, -1):
        if text.endswith(secret[:n]):
            text = text[:-n] + "[REDACTED]"
            break
    for n in range(len(secret) - 1, 5, -1):
        if text.startswith(secret[-n:]):
            text = "[REDACTED]" + text[n:]
            break
    return text


@given(
    st.sampled_from([KEY, SLASHY, "sk-aaaaaaaaaa", "abcdefg"]),
    st.lists(
        st.sampled_from(["x", " ", "sk-", "aaa", "ab/", "%2F", "\\", "defg", "abc"]), max_size=12
    ),
    st.integers(0, 20),
    st.integers(0, 20),
)
def test_the_quick_substring_tests_change_no_answer(
    secret: str, filler: list[str], head: int, tail: int
) -> None:
    # Texts made of key pieces at either end and in between: where shortcuts would go wrong.
    text = secret[-head:] if head else ""
    text += "".join(filler) + secret[:tail]
    assert redact(text, secret) == _redact_by_scanning(text, secret)


def test_redact_result_cleans_every_text_field() -> None:
    echoed = f"echo: Bearer {KEY}"
    result = CaseResult(
        "c",
        "title",
        "openai-chat",
        Outcome.FAIL,
        findings=(Finding("HTTP-001", Level.MUST, "http.ok", echoed, Outcome.FAIL, echoed),),
        reason=echoed,
        exchanges=(ExchangeSummary("POST", echoed, 400, 1.0, 10, echoed, echoed, echoed),),
    )
    clean = redact_result(result, KEY)
    assert KEY not in repr(clean)
    assert clean.findings[0].message == "echo: Bearer [REDACTED]"
    assert redact_result(result, None) is result


def test_url_with_the_key_in_an_httpx_error_is_redacted() -> None:
    # An invalid URL that carries the key: httpx quotes the host in its error message.
    conn = Connection(f"http://[{KEY}]/v1", KEY)
    limits = Limits(timeout_s=1, connect_timeout_s=0.5, idle_timeout_s=0.5)
    capture = execute([CaseWork("c", (Request("GET", "/models"),))], conn, limits, 1)["c"][0]
    assert capture.status is None and capture.error
    assert "InvalidURL" in capture.error and "--target" in capture.error
    assert KEY not in capture.error and "[REDACTED]" in capture.error
