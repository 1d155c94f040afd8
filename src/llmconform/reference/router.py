"""A tiny method + path router.

Patterns are literal paths with `{name}` (one segment) or `{name:path}` (the rest of the path,
slashes included: model ids such as `org/model` need it) placeholders. A path that matches no
pattern is a 404; a path that matches only under other methods is a 405 with an `Allow` header.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from llmconform.reference.asgi import Handler
from llmconform.reference.errors import ApiError, echo

_PLACEHOLDER = re.compile(r"\{(\w+)(:path)?\}")


@dataclass(frozen=True)
class Route:
    """One method and path pattern served by a handler."""

    method: str
    pattern: str
    handler: Handler

    def match(self, path: str) -> dict[str, str] | None:
        """The placeholder values if `path` matches this route's pattern, else None."""
        found = _compile(self.pattern).fullmatch(path)
        return None if found is None else found.groupdict()


@functools.cache
def _compile(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(pattern):
        parts.append(re.escape(pattern[pos : m.start()]))
        parts.append(f"(?P<{m.group(1)}>.+)" if m.group(2) else f"(?P<{m.group(1)}>[^/]+)")
        pos = m.end()
    parts.append(re.escape(pattern[pos:]))
    return re.compile("".join(parts))


class Router:
    """Routes in registration order; the first match wins."""

    def __init__(self, routes: list[Route] | None = None) -> None:
        self._routes: list[Route] = list(routes or [])

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Register `handler` for `method` requests to paths matching `pattern`."""
        self._routes.append(Route(method.upper(), pattern, handler))

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler and path parameters for a request, or an `ApiError` (404 or 405)."""
        allowed: list[str] = []
        for route in self._routes:
            params = route.match(path)
            if params is None:
                continue
            if route.method == method:
                return route.handler, params
            if route.method not in allowed:
                allowed.append(route.method)
        if allowed:
            raise ApiError(
                405,
                f"Method {method} is not allowed for {echo(path)}; allowed: {', '.join(allowed)}.",
                headers=(("allow", ", ".join(allowed)),),
            )
        raise ApiError(404, f"No such endpoint: {method} {echo(path)}.")
