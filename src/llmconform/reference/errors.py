"""Errors of the reference server, always rendered in OpenAI's error envelope.

Every failure a handler can report is an `ApiError`; the app turns it into
`{"error": {"message", "type", "param", "code"}}` with the right HTTP status, so no client
mistake ever surfaces as a 5xx or as a 200. Types and codes follow what OpenAI's API sends
(see the recorded bodies in the shared corpus): client mistakes are `invalid_request_error`.
"""

from __future__ import annotations

from typing import Any

INVALID_REQUEST = "invalid_request_error"
SERVER_ERROR = "server_error"

# Longest user-supplied text echoed back in an error message; bounded so that a hostile
# request cannot make an error body arbitrarily large.
_ECHO_LIMIT = 200


class ApiError(Exception):
    """A request the server refuses, with everything needed to render the error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = INVALID_REQUEST,
        param: str | None = None,
        code: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers

    def envelope(self) -> dict[str, Any]:
        """The JSON body OpenAI uses for errors."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def echo(value: object) -> str:
    """Render a user-supplied value for an error message, cut to a safe length."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > _ECHO_LIMIT:
        return text[:_ECHO_LIMIT] + "…"
    return text


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    """A 400 `invalid_request_error`."""
    return ApiError(400, message, param=param, code=code)


def missing(param: str) -> ApiError:
    """A required parameter is absent (or empty where emptiness is meaningless)."""
    return bad_request(
        f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def invalid_type(param: str, expected: str, got: object) -> ApiError:
    """A parameter has the wrong JSON type."""
    return bad_request(
        f"Invalid type for '{param}': expected {expected}, got {json_type(got)}.",
        param=param,
        code="invalid_type",
    )


def model_not_found(model: str, *, param: str | None = None) -> ApiError:
    """The requested model is not served here (404, as OpenAI answers)."""
    return ApiError(
        404,
        f"The model '{echo(model)}' does not exist or is not served by this server.",
        param=param,
        code="model_not_found",
    )


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
