"""Each hostile behaviour against `execute()` directly: captured, never raised, within budget.

Small limits keep every exchange under ~2 s: exchange timeout 1.5 s, idle 0.5 s, 1 MiB body.
"""

from __future__ import annotations

import json
import time
import zlib
from typing import Any

import pytest

from llmconform.catalog.loader import load_catalog
from llmconform.checks import known_checks
from llmconform.engine.evaluate import evaluate
from llmconform.engine.redaction import redact_result
from llmconform.model import Capture, Outcome, Request
from llmconform.transport.executor import (
    DEADLINE_ERROR,
    CaseWork,
    Connection,
    Limits,
    execute,
    is_deadline_error,
)

from server import COMPLETION, KEY, HostileServer, closed_port

FAST = Limits(timeout_s=1.5, connect_timeout_s=1.0, idle_timeout_s=0.5, max_body_bytes=1 << 20)
# Upper bounds get this much slack: test machines are shared and often loaded; the point is
# that exchanges end near their small limits, not at the 30-60 s defaults.
SLACK = 2.5
CHAT = {"model": "hostile-model", "messages": [{"role": "user", "content": "hi"}]}
CATALOG = load_catalog(known_checks=known_checks())


def chat(stream: bool = False) -> Request:
    body = {**CHAT, "stream": True} if stream else CHAT
    return Request("POST", "/chat/completions", json=body, stream=stream)


def one(base: str, *, stream: bool = False, limits: Limits = FAST) -> tuple[Capture, float]:
    """One exchange; the capture and the seconds it took."""
    started = time.monotonic()
    results = execute([CaseWork("c", (chat(stream),))], Connection(base, KEY), limits, 1)
    return results["c"][0], time.monotonic() - started


def judge(case_id: str, capture: Capture) -> Any:
    """The case result for one capture, with the key redacted as the plugin does."""
    case = CATALOG.cases[case_id]
    return redact_result(evaluate(case, [capture], CATALOG.requirements, "hostile-model"), KEY)


def test_refused_connection_is_an_error_with_advice() -> None:
    capture, took = one(f"http://127.0.0.1:{closed_port()}/v1")
    assert capture.status is None and capture.error
    assert "ConnectError" in capture.error and "--target" in capture.error
    assert took < SLACK
    assert judge("chat.basic", capture).outcome is Outcome.ERROR


def test_reset_mid_stream_keeps_what_arrived_and_fails_http_003(hostile: HostileServer) -> None:
    capture, took = one(hostile.base("reset"), stream=True)
    assert capture.status == 200 and capture.body.startswith(b"data: ")
    assert capture.error and "ReadError" in capture.error and "reset" in capture.error
    assert took < SLACK
    result = judge("stream.basic", capture)
    assert result.outcome is Outcome.FAIL
    assert any(f.requirement == "HTTP-003" and "reset" in f.message for f in result.findings)


def test_silent_target_ends_at_the_idle_timeout(hostile: HostileServer) -> None:
    capture, took = one(hostile.base("silent"))
    assert capture.status is None
    assert capture.error and "sent nothing for 0.5 s" in capture.error
    assert "--idle-timeout" in capture.error
    assert 0.4 < took < 0.5 + SLACK
    assert judge("chat.basic", capture).outcome is Outcome.ERROR


def test_one_byte_per_tick_ends_at_the_exchange_timeout(hostile: HostileServer) -> None:
    # Each byte comes within the idle timeout, so only the whole-exchange budget stops it.
    capture, took = one(hostile.base("slow"))
    assert capture.error and "1.5 s exchange timeout" in capture.error
    assert "--timeout" in capture.error
    assert 1.4 < took < 1.5 + SLACK


def test_endless_stream_ends_at_the_exchange_timeout(hostile: HostileServer) -> None:
    capture, took = one(hostile.base("sse_forever"), stream=True)
    assert capture.status == 200 and capture.chunks
    assert capture.error and "exchange timeout" in capture.error
    assert took < 1.5 + SLACK
    assert judge("stream.basic", capture).outcome is Outcome.FAIL


@pytest.mark.parametrize("behaviour", ["huge_body", "huge_line", "gzip_bomb"])
def test_size_cap_cuts_the_body_at_exactly_the_limit(
    hostile: HostileServer, behaviour: str
) -> None:
    capture, took = one(hostile.base(behaviour), stream=behaviour == "huge_line")
    assert capture.status == 200 and capture.truncated
    assert len(capture.body) == FAST.max_body_bytes
    assert capture.error and "more than 1 MiB" in capture.error
    assert "--max-body-mb" in capture.error
    assert took < SLACK


def test_gzip_bomb_is_decoded_only_up_to_the_cap(hostile: HostileServer) -> None:
    capture, _ = one(hostile.base("gzip_bomb"))
    assert capture.body == bytes(FAST.max_body_bytes)  # decoded zeros, not compressed bytes
    assert max(len(c.data) for c in capture.chunks) <= 64 * 1024


def test_huge_line_yields_a_clear_http_003_finding(hostile: HostileServer) -> None:
    capture, _ = one(hostile.base("huge_line"), stream=True)
    result = judge("stream.basic", capture)
    assert result.outcome is Outcome.FAIL
    http3 = [f for f in result.findings if f.requirement == "HTTP-003"]
    assert http3 and "more than 1 MiB" in http3[0].message
    assert all(f.outcome is not Outcome.ERROR for f in result.findings)


@pytest.mark.parametrize(
    ("behaviour", "status"),
    [("invalid_utf8", 200), ("invalid_json", 200), ("html_200", 200), ("html_500", 500)],
)
def test_garbage_bodies_fail_the_checks_without_crashing_them(
    hostile: HostileServer, behaviour: str, status: int
) -> None:
    for case_id, stream in [("chat.basic", False), ("stream.basic", True)]:
        capture, took = one(hostile.base(behaviour), stream=stream)
        assert capture.status == status and capture.error is None and took < SLACK
        result = judge(case_id, capture)
        assert result.outcome is Outcome.FAIL, result
        assert not [f for f in result.findings if f.outcome is Outcome.ERROR]


def test_redirect_is_reported_with_its_location_and_not_followed(
    hostile: HostileServer,
) -> None:
    before = len(hostile.requests)
    capture, _ = one(hostile.base("redirect"))
    assert capture.status == 307 and capture.header("location")
    assert capture.error and "redirected (307) to /v1/elsewhere/chat/completions;" in capture.error
    assert "query-secret" not in capture.error  # query strings may hold tokens
    assert len(hostile.requests) == before + 1
    result = judge("chat.basic", capture)
    assert result.outcome is Outcome.FAIL
    assert any("redirected (307) to" in f.message for f in result.findings)


def test_redirect_loop_is_one_request(hostile: HostileServer) -> None:
    before = len(hostile.requests)
    capture, _ = one(hostile.base("redirect_loop"))
    assert capture.status == 302 and capture.error and "redirected (302)" in capture.error
    assert len(hostile.requests) == before + 1


def test_credentials_never_reach_another_host(other_host: HostileServer) -> None:
    with HostileServer("redirect_other", redirect_to=other_host.url) as first:
        capture, _ = one(first.base())
        assert first.requests[-1].headers.get("authorization") == f"Bearer {KEY}"
    assert capture.error and f"to {other_host.url}/v1/chat/completions;" in capture.error
    assert other_host.requests == []  # not followed, so neither the request nor the key


def test_huge_header_is_refused_quickly(hostile: HostileServer) -> None:
    capture, took = one(hostile.base("huge_header"))
    assert capture.status is None
    assert capture.error and "RemoteProtocolError" in capture.error and "headers" in capture.error
    assert took < SLACK


@pytest.mark.parametrize("behaviour", ["gzip_ok", "deflate_ok"])
def test_compressed_bodies_are_decoded(hostile: HostileServer, behaviour: str) -> None:
    capture, _ = one(hostile.base(behaviour))
    assert capture.error is None
    assert json.loads(capture.body) == COMPLETION
    assert hostile.requests[-1].headers["accept-encoding"] == "gzip, deflate"


def test_unknown_content_encoding_is_refused_clearly(hostile: HostileServer) -> None:
    capture, _ = one(hostile.base("brotli"))
    assert capture.status == 200 and capture.body == b""
    assert capture.error and "Content-Encoding 'br'" in capture.error


def test_close_before_done_fails_the_stream(hostile: HostileServer) -> None:
    capture, _ = one(hostile.base("cut_before_done"), stream=True)
    assert capture.status == 200 and capture.body.count(b"data: ") == 2
    assert capture.error and "closed early" in capture.error
    result = judge("stream.basic", capture)
    assert result.outcome is Outcome.FAIL
    assert {"HTTP-003"} <= {f.requirement for f in result.findings}


def test_echoed_key_is_redacted_from_every_result_text(hostile: HostileServer) -> None:
    capture, _ = one(hostile.base("echo"))
    assert KEY.encode() in capture.body  # the target did echo it
    result = judge("chat.basic", capture)
    assert KEY not in repr(result)
    assert "[REDACTED]" in result.exchanges[0].response_excerpt


def test_many_hostile_cases_in_one_run_all_end_within_budget(hostile: HostileServer) -> None:
    names = ["reset", "silent", "slow", "huge_body", "gzip_bomb", "html_500", "redirect", "ok"]
    work = [
        CaseWork(name, (Request("POST", f"/b/{name}/v1/chat/completions", json=CHAT),))
        for name in names
    ]
    done: list[str] = []
    started = time.monotonic()
    results = execute(work, Connection(hostile.url, KEY), FAST, 8, lambda c, _: done.append(c))
    assert time.monotonic() - started < 1.5 + SLACK
    assert sorted(done) == sorted(results) == sorted(names)
    assert results["ok"][0].status == 200 and results["ok"][0].error is None
    assert all(results[n][0].error for n in names if n not in ("ok", "html_500"))


def test_run_deadline_ends_unfinished_cases_as_errors(hostile: HostileServer) -> None:
    slow = Limits(timeout_s=10, idle_timeout_s=5, run_deadline_s=0.8)
    work = [CaseWork(f"c{i}", (chat(),)) for i in range(3)]
    done: list[str] = []
    started = time.monotonic()
    results = execute(
        work, Connection(hostile.base("silent"), KEY), slow, 1, lambda c, _: done.append(c)
    )
    assert time.monotonic() - started < 0.8 + SLACK
    assert sorted(done) == ["c0", "c1", "c2"]  # even cases that never started are reported
    for captures in results.values():
        last = captures[-1]
        assert last.status is None and is_deadline_error(last.error)
        assert last.error and "--deadline" in last.error
        assert last.error.startswith(DEADLINE_ERROR)


def test_scenario_failure_message_is_redacted() -> None:
    def scenario() -> Any:
        yield chat()
        raise ValueError(f"bad id echoing {KEY}")

    port = closed_port()
    results = execute(
        [CaseWork("s", scenario=scenario)], Connection(f"http://127.0.0.1:{port}/v1", KEY), FAST, 1
    )
    errors = [c.error or "" for c in results["s"]]
    assert any("scenario failed" in e for e in errors)
    assert not any(KEY in e for e in errors)


def test_gzip_stream_in_arbitrary_reads_decodes_the_same() -> None:
    from llmconform.transport.body import Decoder

    payload = json.dumps(COMPLETION).encode() * 50
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    data = z.compress(payload) + z.flush()
    two_members = data + data
    for step in (1, 7, 64, len(two_members)):
        decoder = Decoder("gzip")
        out = b"".join(
            piece
            for i in range(0, len(two_members), step)
            for piece in decoder.feed(two_members[i : i + step])
        )
        out += b"".join(decoder.finish())
        assert out == payload * 2
