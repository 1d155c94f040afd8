"""Tests for llmconform.protocol.sse: event-stream interpretation, framing observations, limits."""

from __future__ import annotations

import itertools
import re
import time
import tracemalloc
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmconform.model import BodyChunk, SSEEvent
from llmconform.protocol.sse import SSEDecoder, SSELineTooLong, SSEObservations, decode_sse

BOM = b"\xef\xbb\xbf"
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(
    chunks: list[bytes], max_line_bytes: int | None = None
) -> tuple[list[SSEEvent], SSEObservations]:
    """Feed chunks in order (t_ns = chunk index), close, return events and observations."""
    decoder = SSEDecoder(max_line_bytes=max_line_bytes)
    events: list[SSEEvent] = []
    for i, chunk in enumerate(chunks):
        events.extend(decoder.feed(chunk, t_ns=i))
    events.extend(decoder.close())
    return events, decoder.observations


def whole(body: bytes) -> tuple[list[SSEEvent], SSEObservations]:
    return run([body])


def datas(body: bytes) -> list[str]:
    return [e.data for e in whole(body)[0]]


def split_at(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(body), *cuts})
    return [body[a:b] for a, b in itertools.pairwise(points)]


def untimed(events: list[SSEEvent]) -> list[SSEEvent]:
    return [replace(e, t_ns=0) for e in events]


# --- line endings -------------------------------------------------------------------------------


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_each_line_ending_terminates_lines_and_events(eol: str) -> None:
    body = f"event: a{eol}data: 1{eol}data: 2{eol}{eol}data: 3{eol}{eol}".encode()
    events, obs = whole(body)
    assert [(e.event, e.data) for e in events] == [("a", "1\n2"), ("message", "3")]
    assert obs.line_endings == frozenset({eol})


def test_mixed_line_endings_are_all_recorded() -> None:
    events, obs = whole(b"data: a\r\ndata: b\rdata: c\n\r\n")
    assert [e.data for e in events] == ["a\nb\nc"]
    assert obs.line_endings == frozenset({"\r\n", "\r", "\n"})


def test_crlf_split_across_feeds_is_one_terminator() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r", 1) == []
    assert decoder.feed(b"\n", 2) == []  # second half of CRLF, not a blank line
    assert decoder.feed(b"data: b\r", 3) == []
    assert decoder.feed(b"\n", 4) == []
    events = decoder.feed(b"\r", 5)  # a CR ends the blank line at once: no wait for the LF
    assert events == [SSEEvent(data="a\nb", t_ns=5)]
    assert decoder.feed(b"\n", 6) == []  # must not dispatch again
    assert decoder.close() == []
    assert decoder.observations.line_endings == frozenset({"\r\n"})


@pytest.mark.parametrize("cut", range(1, len(b"data: a\r\n\r\ndata: b\r\n\r\n")))
def test_every_two_way_split_of_crlf_stream_gives_same_events(cut: int) -> None:
    body = b"data: a\r\n\r\ndata: b\r\n\r\n"
    events, obs = run([body[:cut], body[cut:]])
    assert [e.data for e in events] == ["a", "b"]
    assert obs.line_endings == frozenset({"\r\n"})
    assert not obs.incomplete_tail


def test_cr_at_end_of_chunk_followed_by_other_text_is_a_lone_cr() -> None:
    events, obs = run([b"data: a\r", b"\rdata: b\r", b"\r"])
    assert [e.data for e in events] == ["a", "b"]
    assert obs.line_endings == frozenset({"\r"})


def test_trailing_cr_at_close_is_recorded_as_cr() -> None:
    _, obs = run([b"data: a\n\r"])
    assert obs.line_endings == frozenset({"\n", "\r"})


def test_unicode_line_separators_do_not_end_lines() -> None:
    payload = "a\u2028b\u2029c\x85d\x0ce\x0bf\x1cg\x1dh\x1ei"
    events, _ = whole(f'data: {{"c":"{payload}"}}\n\n'.encode())
    assert [e.data for e in events] == [f'{{"c":"{payload}"}}']


# --- dispatch -----------------------------------------------------------------------------------


def test_event_dispatched_when_blank_line_arrives_in_later_feed() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\n", 10) == []
    assert decoder.feed(b": keep-alive\n", 20) == []
    assert decoder.feed(b"\n", 30) == [SSEEvent(data="x", t_ns=30)]


def test_events_are_stamped_with_the_feed_that_completes_them() -> None:
    events, _ = decode_sse([BodyChunk(5, b"data: a\n\ndata: b\n"), BodyChunk(9, b"\ndata: c\n\n")])
    assert [(e.data, e.t_ns) for e in events] == [("a", 5), ("b", 9), ("c", 9)]


def test_decoder_is_not_reset_between_reads() -> None:
    # The peer-suite bug: state dropped at each network read loses multi-line events.
    events, _ = run([b"event: x\n", b"data: 1\n", b"data: 2\n", b"id: 7\n", b"\n"])
    assert events == [SSEEvent(data="1\n2", event="x", id="7", t_ns=4)]


# --- comments and field parsing -----------------------------------------------------------------


def test_comment_lines_are_ignored_and_counted() -> None:
    events, obs = whole(b": hello\n:\ndata: x\n: mid\n\n: only a comment\n\n")
    assert [e.data for e in events] == ["x"]
    assert obs.comments == 4
    assert obs.blocks_without_data == 0  # a comment-only block is not a dropped event


@pytest.mark.parametrize(
    ("line", "value"),
    [
        (b"data: a:b: c", "a:b: c"),  # split at the first colon only
        (b"data:a", "a"),
        (b"data:  two", " two"),  # only one space is removed
        (b"data:\tx", "\tx"),  # a tab is not a space
        (b"data: ", ""),
        (b"data:", ""),
        (b"data", ""),  # no colon: whole line is the field name, value empty
    ],
)
def test_field_name_value_split(line: bytes, value: str) -> None:
    assert datas(line + b"\n\n") == [value]


def test_data_lines_join_with_newline_and_last_newline_removed() -> None:
    assert datas(b"data: a\ndata:\ndata: b\ndata\n\n") == ["a\n\nb\n"]


def test_empty_data_field_still_dispatches() -> None:
    # The data buffer is "\n" (not empty) after `data:`, so an event with empty data is fired.
    assert datas(b"data:\n\n") == [""]


def test_block_without_data_is_not_dispatched_and_resets_event_type() -> None:
    events, obs = whole(b"event: first\nretry: 5\n\ndata: x\n\n")
    assert events == [SSEEvent(data="x", event="message")]
    assert obs.blocks_without_data == 1
    assert obs.retry == 5


def test_event_type_default_and_set() -> None:
    events, _ = whole(
        b"data: a\n\nevent: delta\ndata: b\n\nevent:\ndata: c\n\nevent: x y\ndata: d\n\n"
    )
    assert [e.event for e in events] == ["message", "delta", "message", "x y"]


def test_event_type_last_assignment_wins() -> None:
    assert whole(b"event: a\nevent: b\ndata: x\n\n")[0][0].event == "b"


def test_id_sets_last_event_id_which_persists() -> None:
    events, _ = whole(b"data: a\n\nid: 1\ndata: b\n\ndata: c\n\nid\ndata: d\n\n")
    assert [e.id for e in events] == [None, "1", "1", ""]


def test_id_containing_nul_is_ignored() -> None:
    events, _ = whole(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n")
    assert [e.id for e in events] == ["1", "1"]


def test_id_only_block_updates_last_event_id() -> None:
    events, _ = whole(b"id: 9\n\ndata: a\n\n")
    assert events[0].id == "9"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"3000", 3000),
        (b"0", 0),
        (b"007", 7),
        (b"", None),
        (b"-1", None),
        (b"1.5", None),
        (b"12a", None),
        (b" 12", None),  # the second space survives, so not all digits
        ("\uff11\uff12".encode(), None),  # fullwidth digits are not ASCII digits
        ("\u0663".encode(), None),  # Arabic-Indic three
    ],
)
def test_retry_only_when_all_ascii_digits(value: bytes, expected: int | None) -> None:
    events, obs = whole(b"retry: " + value + b"\ndata: x\n\n")
    assert events[0].retry == expected
    assert obs.retry == expected


def test_retry_with_too_many_digits_to_convert_is_ignored_without_error() -> None:
    events, obs = whole(b"retry: " + b"9" * 6000 + b"\ndata: x\n\n")
    assert events[0].retry is None
    assert obs.retry is None


def test_retry_belongs_to_its_own_event_only() -> None:
    events, _ = whole(b"retry: 10\ndata: a\n\ndata: b\n\n")
    assert [e.retry for e in events] == [10, None]


def test_unknown_fields_ignored_recorded_distinct_and_bounded() -> None:
    body = b"foo: 1\nData: 2\nfoo: 3\n" + b"".join(b"f%d: v\n" % i for i in range(40))
    events, obs = whole(body + b"data: x\n\n")
    assert [e.data for e in events] == ["x"]
    assert obs.unknown_fields[:3] == ("foo", "Data", "f0")  # field names are case-sensitive
    assert len(obs.unknown_fields) == 20


def test_unknown_field_names_are_truncated() -> None:
    _, obs = whole(b"x" * 5000 + b": v\n\n")
    assert obs.unknown_fields == ("x" * 64,)


# --- BOM and UTF-8 ------------------------------------------------------------------------------


def test_leading_bom_is_stripped_and_observed() -> None:
    events, obs = whole(BOM + b"data: x\n\n")
    assert [e.data for e in events] == ["x"]
    assert obs.bom


def test_bom_split_across_feeds() -> None:
    events, obs = run([b"\xef", b"\xbb", b"\xbf", b"d", b"ata: x\n\n"])
    assert [e.data for e in events] == ["x"]
    assert obs.bom
    assert not obs.invalid_utf8


def test_only_one_bom_is_stripped() -> None:
    events, obs = whole(BOM + BOM + b"data: x\n\ndata: y\n\n")
    # The second BOM is part of the first field name, which is then unknown.
    assert [e.data for e in events] == ["y"]
    assert obs.unknown_fields == ("\ufeffdata",)


def test_bom_not_at_start_is_content() -> None:
    assert datas(b"data: " + BOM + b"x\n\n") == ["\ufeffx"]
    assert not whole(b"data: x\n\n")[1].bom


def test_truncated_bom_prefix_is_invalid_utf8() -> None:
    events, obs = whole(b"\xef\xbbdata: x\n\ndata: y\n\n")
    assert [e.data for e in events] == ["y"]
    assert obs.invalid_utf8
    assert not obs.bom


def test_lone_bom_prefix_at_close_is_an_incomplete_tail() -> None:
    events, obs = run([b"\xef\xbb"])
    assert events == []
    assert obs.incomplete_tail
    assert obs.invalid_utf8


@pytest.mark.parametrize("char", ["é", "€", "😀", "\u2028"])
def test_multibyte_char_split_at_every_byte(char: str) -> None:
    body = f"data: {char}{char}\n\n".encode()
    events, obs = run([body[i : i + 1] for i in range(len(body))])
    assert [e.data for e in events] == [char * 2]
    assert not obs.invalid_utf8


def test_invalid_utf8_is_replaced_and_observed() -> None:
    events, obs = whole(b"data: a\xffb\xe2\x82\n\n")
    assert [e.data for e in events] == ["a\ufffdb\ufffd"]
    assert obs.invalid_utf8


def test_literal_replacement_character_is_not_invalid_utf8() -> None:
    events, obs = whole("data: \ufffd\n\n".encode())
    assert [e.data for e in events] == ["\ufffd"]
    assert not obs.invalid_utf8


# --- end of stream ------------------------------------------------------------------------------


def test_stream_cut_before_final_blank_line_sets_incomplete_tail() -> None:
    events, obs = whole(b"data: a\n\ndata: [DONE]\n")
    assert [e.data for e in events] == ["a"]  # the final event is NOT dispatched
    assert obs.incomplete_tail
    assert obs.unterminated_data == "[DONE]"


def test_stream_cut_mid_line_sets_incomplete_tail() -> None:
    events, obs = whole(b"data: a\n\ndata: b\ndata: [DO")
    assert [e.data for e in events] == ["a"]
    assert obs.incomplete_tail
    assert obs.unterminated_data == "b\n[DO"


def test_unterminated_event_without_data_has_no_tail_data() -> None:
    _, obs = whole(b"event: end\n")
    assert obs.incomplete_tail
    assert obs.unterminated_data is None


@pytest.mark.parametrize(
    "body", [b"data: a\n\n", b"data: a\r\n\r\n", b"data: a\n\n: ping\n", b"data: a\r\r", b""]
)
def test_complete_stream_has_no_incomplete_tail(body: bytes) -> None:
    _, obs = whole(body)
    assert not obs.incomplete_tail
    assert obs.unterminated_data is None


def test_close_is_idempotent_and_feed_after_close_is_an_error() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n")
    assert decoder.close() == []
    assert decoder.close() == []
    with pytest.raises(RuntimeError):
        decoder.feed(b"\n")


# --- observations -------------------------------------------------------------------------------


def test_raw_json_lines_without_data_prefix_are_observed() -> None:
    # An NDJSON-ish server: object lines contain ':' so they are (unknown) fields named '{"…"';
    # colon-free lines such as [DONE] or [] count as lines without colon. No event fires.
    body = b'{"id":"1","choices":[]}\n\n[DONE]\n\n[]\n42\n\n'
    events, obs = whole(body)
    assert events == []
    assert obs.lines_without_colon == 3
    assert obs.json_like_lines == 3
    assert obs.unknown_fields == ('{"id"', "[DONE]", "[]", "42")
    assert obs.blocks_without_data == 3


def test_data_without_space_is_counted() -> None:
    _, obs = whole(b"data:a\ndata: b\ndata:\ndata:  c\ndata\nevent:x\n\n")
    assert obs.data_without_space == 1


def test_clean_stream_observations() -> None:
    _, obs = whole(b'data: {"a":1}\n\ndata: [DONE]\n\n')
    assert obs == SSEObservations(
        bom=False,
        line_endings=frozenset({"\n"}),
        comments=0,
        unknown_fields=(),
        lines_without_colon=0,
        incomplete_tail=False,
        invalid_utf8=False,
        data_without_space=0,
        json_like_lines=0,
        events=2,
    )


# --- limits, memory and speed -------------------------------------------------------------------


def test_max_line_bytes_allows_lines_up_to_the_limit() -> None:
    events, _ = run([b"data: " + b"x" * 94 + b"\n\n"], max_line_bytes=100)
    assert len(events[0].data) == 94


def test_max_line_bytes_is_enforced_on_complete_lines() -> None:
    decoder = SSEDecoder(max_line_bytes=100)
    with pytest.raises(SSELineTooLong, match="limit of 100 bytes") as info:
        decoder.feed(b"data: ok\n\ndata: " + b"x" * 95 + b"\n\n")
    assert isinstance(info.value, ValueError)
    assert [e.data for e in info.value.events] == ["ok"]  # decoded before the failure
    with pytest.raises(SSELineTooLong):
        decoder.feed(b"data: more\n\n")


def test_max_line_bytes_is_enforced_before_the_terminator_arrives() -> None:
    decoder = SSEDecoder(max_line_bytes=1000)
    with pytest.raises(SSELineTooLong):
        for _ in range(2000):  # bounded: must raise after ~1000 bytes
            decoder.feed(b"x")


def test_max_line_bytes_counts_bytes_not_characters() -> None:
    line = ("data: " + "€" * 40).encode()  # 46 characters, 126 bytes
    with pytest.raises(SSELineTooLong):
        run([line + b"\n\n"], max_line_bytes=100)


def test_decode_sse_reports_all_events_before_a_too_long_line() -> None:
    chunks = [BodyChunk(1, b"data: a\n\n"), BodyChunk(2, b"data: b\n\n" + b"y" * 50)]
    with pytest.raises(SSELineTooLong) as info:
        decode_sse(chunks, max_line_bytes=20)
    assert [e.data for e in info.value.events] == ["a", "b"]


def test_unlimited_by_default() -> None:
    assert len(datas(b"data: " + b"x" * 3_000_000 + b"\n\n")[0]) == 3_000_000


def test_one_byte_chunks_of_a_long_line_are_linear() -> None:
    body = b"data: " + b"x" * 200_000 + b"\n\n"
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    start = time.perf_counter()
    for i in range(len(body)):
        events.extend(decoder.feed(body[i : i + 1]))
    elapsed = time.perf_counter() - start
    assert len(events) == 1 and len(events[0].data) == 200_000
    assert elapsed < 2.0, f"{elapsed:.2f}s: partial line is being re-scanned or re-copied"


def _typical_stream(n: int) -> tuple[bytes, bytes]:
    event = b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,'
    event += b'"delta":{"content":"' + b"w" * 100 + b'"},"finish_reason":null}]}\n\n'
    return event, event * n


def test_ten_thousand_events_decode_fast() -> None:
    event, body = _typical_stream(10_000)
    assert 190 <= len(event) <= 230
    best = float("inf")
    for _ in range(3):  # best of three: immune to one scheduling hiccup
        start = time.perf_counter()
        events, _ = decode_sse(BodyChunk(0, body[i : i + 4096]) for i in range(0, len(body), 4096))
        best = min(best, time.perf_counter() - start)
    assert len(events) == 10_000
    assert best < 0.25, f"{best * 1000:.0f} ms for 10k events"


def test_decoder_does_not_retain_dispatched_events() -> None:
    event, _ = _typical_stream(1)
    decoder = SSEDecoder()
    decoder.feed(event)  # warm up lazily allocated state
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(2000):
            assert len(decoder.feed(event)) == 1
        retained = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert retained < 20_000, f"{retained} bytes retained after 2000 events (~400 kB fed)"


# --- property tests -----------------------------------------------------------------------------

VALUE_CHARS = st.characters(exclude_characters="\r\n", codec="utf-8")
SPECIAL = st.sampled_from(
    ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\ufeff", "\ufffd", ":", " "]
)
VALUES = st.lists(VALUE_CHARS | SPECIAL | st.sampled_from(["é", "€", "😀"]), max_size=8).map(
    "".join
)
EOLS = st.sampled_from(["\n", "\r\n", "\r"])


@dataclass
class Expected:
    data: str
    event: str
    id: str | None
    retry: int | None


@st.composite
def event_streams(draw: st.DrawFn) -> tuple[bytes, list[Expected], int]:
    """A well-formed stream, the events it must yield, and how many comment lines it holds."""
    lines: list[str] = []
    expected: list[Expected] = []
    last_id: str | None = None
    comments = 0
    for _ in range(draw(st.integers(0, 5))):
        block: list[str] = []
        data_lines: list[str] = []
        data_values = draw(st.lists(VALUES, max_size=4))
        for value in data_values:
            if value.startswith(" ") or not value or draw(st.booleans()):
                data_lines.append("data: " + value)
            else:
                data_lines.append("data:" + value)  # no space: value taken as is
        name = draw(st.none() | VALUES)
        if name is not None:
            block.append("event: " + name)
        ident = draw(st.none() | VALUES | st.just("a\0b"))
        if ident is not None:
            block.append("id: " + ident)
            if "\0" not in ident:
                last_id = ident
        retry = draw(st.none() | st.integers(0, 10**6) | st.sampled_from(["1a", "-5", "", "x"]))
        if retry is not None:
            block.append(f"retry: {retry}")
        n_comments = draw(st.integers(0, 2))
        comments += n_comments
        block += [":" + draw(VALUES) for _ in range(n_comments)]
        # Other fields and comments in any order; data lines keep their relative order.
        block = list(draw(st.permutations(block)))
        pos = 0
        for line in data_lines:
            pos = draw(st.integers(pos, len(block)))
            block.insert(pos, line)
            pos += 1
        lines += block
        lines.append("")  # the blank line that dispatches
        if data_values:
            expected.append(
                Expected(
                    data="\n".join(data_values),
                    event=name or "message",
                    id=last_id,
                    retry=retry if isinstance(retry, int) else None,
                )
            )
    parts: list[str] = []
    prev = ""
    for line in lines:
        eol = draw(EOLS)
        if prev == "\r" and not line and eol != "\r":
            eol = "\r"  # a CR then an LF-led terminator would merge into one CRLF
        parts.append(line + eol)
        prev = eol
    prefix = BOM if draw(st.booleans()) else b""
    return prefix + "".join(parts).encode(), expected, comments


@st.composite
def splits(draw: st.DrawFn, body: bytes) -> list[bytes]:
    if body and draw(st.integers(0, 4)) == 0:
        return [body[i : i + 1] for i in range(len(body))]
    cuts = draw(st.lists(st.integers(0, len(body)), max_size=12))
    return split_at(body, cuts)


@SETTINGS
@given(stream=event_streams(), data=st.data())
def test_generated_streams_decode_to_expected_events_under_any_split(
    stream: tuple[bytes, list[Expected], int], data: st.DataObject
) -> None:
    body, expected, comments = stream
    events, obs = whole(body)
    assert [Expected(e.data, e.event, e.id, e.retry) for e in events] == expected
    assert obs.comments == comments
    assert not obs.incomplete_tail and not obs.invalid_utf8 and obs.unknown_fields == ()
    assert obs.bom == body.startswith(BOM)
    split_events, split_obs = run(data.draw(splits(body)))
    assert untimed(split_events) == untimed(events)
    assert split_obs == obs


def oracle(body: bytes) -> list[tuple[str, str, str | None, int | None]]:
    """A deliberately naive, whole-body reading of the spec, written independently."""
    if body.startswith(BOM):
        body = body[3:]
    lines = re.split("\r\n|\r|\n", body.decode("utf-8", "replace"))
    lines.pop()  # bytes after the last terminator are discarded at end of stream
    out: list[tuple[str, str, str | None, int | None]] = []
    buf, etype, last_id, retry = "", "", None, None
    for line in lines:
        if line == "":
            if buf != "":
                out.append(
                    (buf[:-1] if buf.endswith("\n") else buf, etype or "message", last_id, retry)
                )
            buf, etype, retry = "", "", None
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                buf += value + "\n"
            elif name == "event":
                etype = value
            elif name == "id" and "\0" not in value:
                last_id = value
            elif name == "retry" and re.fullmatch("[0-9]+", value):
                retry = int(value)
    return out


NASTY = st.sampled_from(
    [
        *(b"\r", b"\n", b"\r\n", b":", b" ", b"data", b"event", b"id", b"retry", b"12", b"\x00"),
        *(BOM, b"\xef\xbb", "\u2028".encode(), b"\xf0\x9f\x98", b"\x80", b"\xc3", b"\xff", b"{"),
    ]
)
BYTES = st.lists(NASTY | st.binary(max_size=4), max_size=40).map(b"".join)


@SETTINGS
@given(body=BYTES, data=st.data())
def test_arbitrary_bytes_match_oracle_under_any_split(body: bytes, data: st.DataObject) -> None:
    events, obs = run(data.draw(splits(body)))
    assert [(e.data, e.event, e.id, e.retry) for e in events] == oracle(body)
    assert obs == whole(body)[1]
    assert obs.invalid_utf8 == _invalid(body.removeprefix(BOM))
    assert obs.bom == body.startswith(BOM)


def _invalid(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@SETTINGS
@given(body=st.binary(max_size=300) | BYTES, data=st.data(), limit=st.none() | st.integers(0, 64))
def test_arbitrary_bytes_raise_nothing_but_line_too_long(
    body: bytes, data: st.DataObject, limit: int | None
) -> None:
    try:
        events, obs = run(data.draw(splits(body)), max_line_bytes=limit)
    except SSELineTooLong:
        assert limit is not None
        return
    assert obs.events == len(events)
