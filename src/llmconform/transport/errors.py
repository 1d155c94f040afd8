"""What went wrong in an exchange, and what the user can do about it (messages only)."""

from __future__ import annotations

import httpx

__all__ = ["describe", "redirect_error", "size_text"]

_MIB = 1024 * 1024
_MAX_LOCATION_CHARS = 200


def size_text(n: int) -> str:
    """A byte count as people read it: 32 MiB, or 1234 bytes."""
    return f"{n // _MIB} MiB" if n >= _MIB and n % _MIB == 0 else f"{n} bytes"


def _location(value: str) -> str:
    """A redirect target for messages: no query, fragment or user-info (they may hold tokens)."""
    text = value.split("#", 1)[0].split("?", 1)[0]
    scheme, sep, rest = text.partition("://")
    if sep:
        authority, slash, path = rest.partition("/")
        text = f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
    if len(text) > _MAX_LOCATION_CHARS:
        text = text[:_MAX_LOCATION_CHARS] + "…"
    return text


def redirect_error(status: int, location: str | None) -> str:
    """Why a redirect ends the exchange, naming where it pointed (without secrets)."""
    if not location:
        return f"the target answered {status} (a redirect) without a Location header"
    return (
        f"redirected ({status}) to {_location(location)}; llmconform does not follow redirects "
        "(the API key must never reach another address): use the final URL as --target"
    )


def describe(
    exc: Exception, connect_timeout_s: float, idle_timeout_s: float, got_headers: bool
) -> str:
    """What went wrong and what to do, for an exception raised while exchanging."""
    name = type(exc).__name__
    detail = str(exc) or "no details"
    if isinstance(exc, httpx.ConnectTimeout):
        return (
            f"could not connect within {connect_timeout_s:g} s ({name}); check the host "
            "and port in --target and that nothing drops the packets"
        )
    if isinstance(exc, httpx.ReadTimeout):
        return (
            f"the target sent nothing for {idle_timeout_s:g} s ({name}); raise "
            "--idle-timeout if it is that slow to answer"
        )
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {idle_timeout_s:g} s ({name}); raise --idle-timeout"
    if isinstance(exc, httpx.ConnectError):
        return (
            f"could not connect: {detail} ({name}); is the server running and the --target "
            "URL right?"
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        where = "body" if got_headers else "status line or headers"
        return (
            f"the response {where} broke HTTP/1.1 rules or the connection closed early: "
            f"{detail} ({name}); headers over 100 KiB are refused as well"
        )
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        when = "reading the response" if isinstance(exc, httpx.ReadError) else "sending"
        detail = str(exc) or "connection reset"
        return f"the connection broke while {when}: {detail} ({name}); the target reset it"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"the target URL cannot be used: {detail} ({name}); check --target"
    if isinstance(exc, httpx.HTTPError):
        return f"the exchange failed: {detail} ({name})"
    return f"unexpected client failure: {name}: {detail}; please report this as an llmconform bug"
