"""Errors and authentication of the reference server's Anthropic endpoint (`/v1/messages`).

Anthropic renders every error as `{"type": "error", "error": {"type", "message"}}`, with the
error type chosen by the HTTP status, and reads the key from the `x-api-key` header (or a bearer
token). The app
uses these helpers for paths under `/v1/messages` and keeps OpenAI's envelope and bearer
tokens everywhere else.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from llmconform.reference.errors import ApiError, echo

PATH_PREFIX = "/v1/messages"
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}")

# Anthropic's documented error types by HTTP status.
_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def is_anthropic_path(path: str) -> bool:
    """Whether a request path belongs to the Anthropic Messages API."""
    return path == PATH_PREFIX or path.startswith(PATH_PREFIX + "/")


def error_type(status: int) -> str:
    """Anthropic's error type for an HTTP status."""
    return _TYPES.get(status) or ("invalid_request_error" if status < 500 else "api_error")


def envelope(error: ApiError) -> dict[str, Any]:
    """The Anthropic error body for an `ApiError`."""
    return {"type": "error", "error": {"type": error_type(error.status), "message": error.message}}


def authenticate(headers: tuple[tuple[str, str], ...], expected: str | None) -> None:
    """Require the key when one is configured; raise a 401 otherwise.

    Anthropic documents `x-api-key`; recent official SDKs send the same key as
    `Authorization: Bearer`, so both are accepted (`x-api-key` wins when both are present).
    """
    if expected is None:
        return
    found = dict(headers)
    value = found.get("x-api-key")
    if value is None:
        scheme, _, token = found.get("authorization", "").strip().partition(" ")
        value = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    if value is None:
        # Never echo the presented or the expected key.
        raise ApiError(401, "x-api-key header is required")
    # compare_digest takes the same time wherever the first difference is.
    if not hmac.compare_digest(value.strip().encode("latin-1"), expected.encode("utf-8")):
        raise ApiError(401, "invalid x-api-key")


def check_version(value: str | None) -> None:
    """The `anthropic-version` header is required and must look like a version (a date).

    Any date is accepted: Anthropic publishes new versions and the SDKs send the newest they
    know, which a fixed list here would wrongly reject.
    """
    if value is None:
        raise ApiError(400, "anthropic-version: header is required")
    if not _VERSION.fullmatch(value.strip()):
        raise ApiError(400, f"anthropic-version: {echo(value)!r} is not a version (YYYY-MM-DD)")
