"""Parse a target string and make it reachable over HTTP.

- `reference` (default): the embedded reference server on an ephemeral 127.0.0.1 port,
  started with a random API key so that authentication cases run too.
- `http://…/v1`, `https://…/v1`: a live endpoint; the key comes from an environment variable.
- `asgi:pkg.module:app`: an ASGI app imported and served in-process by uvicorn on loopback,
  so streaming and timing behave as on a real socket (httpx's ASGITransport would buffer).
- `replay:PATH`: a recorded cassette; no network, the checks re-run on the recorded bytes.
"""

from __future__ import annotations

import importlib
import os
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from llmconform.engine.plan import ALL_CAPABILITIES
from llmconform.errors import Misconfigured, TargetFailure, UsageError
from llmconform.model import Request
from llmconform.model.work import Connection, Limits

REFERENCE_MODEL = "llmconform-reference"


class TargetError(UsageError):
    """The target string is malformed or the target cannot be started."""


@dataclass(frozen=True)
class OpenTarget:
    """A reachable target: base URL (ending in the API version path), key, and defaults."""

    label: str
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    kind: str = "http"
    default_model: str | None = None
    capabilities: frozenset[str] | None = None  # None: the user's declaration decides
    cassette: Path | None = None  # replay targets: the recorded exchanges
    restricted_key: str | None = field(default=None, repr=False)  # reference: for 403 cases
    apis: frozenset[str] | None = None  # replay: the API families the recording run tested


def describe(spec: str) -> str:
    """A secret-free label for a target string (user-info is dropped from URLs)."""
    if spec.startswith(("http://", "https://")):
        parts = urlsplit(spec)
        host = parts.hostname or ""
        if ":" in host:  # an IPv6 literal keeps its brackets, or the label is no URL
            host = f"[{host}]"
        try:
            port = f":{parts.port}" if parts.port else ""
        except ValueError:  # said by open_target; a label only shows what was given
            port = ":" + parts.netloc.rpartition(":")[2][:10]
        return f"{parts.scheme}://{host}{port}{parts.path}"
    return spec


def _load_app(ref: str) -> Any:
    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise TargetError(f"asgi target must look like asgi:package.module:app, got asgi:{ref}")
    # As uvicorn does (its --app-dir defaults to "."): a module in the current folder is
    # importable without PYTHONPATH=. (the `llmconform` script's own folder is on sys.path,
    # not the one it runs in).
    here = os.getcwd()
    if here not in sys.path:
        sys.path.insert(0, here)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TargetError(
            f"cannot import {module_name!r} for the asgi target: {exc} (looked in the current "
            f"folder {here} and the installed packages; run from the folder holding it or set "
            "PYTHONPATH)"
        ) from exc
    app = getattr(module, attr, None)
    if app is None:
        raise TargetError(f"module {module_name!r} has no attribute {attr!r}")
    return app


@contextmanager
def open_target(spec: str, api_key: str | None = None) -> Iterator[OpenTarget]:
    """Start (if needed) and yield the target; stops what it started on exit."""
    if spec in ("", "reference"):
        from llmconform.reference.app import create_app
        from llmconform.reference.server import serve_in_thread

        key = secrets.token_urlsafe(24)
        restricted = secrets.token_urlsafe(24)
        server = serve_in_thread(create_app(api_key=key, restricted_key=restricted))
        try:
            yield OpenTarget(
                "reference",
                server.url + "/v1",
                key,
                "reference",
                REFERENCE_MODEL,
                frozenset(ALL_CAPABILITIES),
                restricted_key=restricted,
            )
        finally:
            server.stop()
    elif spec.startswith("replay:"):
        path = Path(spec.removeprefix("replay:"))
        if not path.is_file():
            raise TargetError(f"replay target: no cassette file at {path}")
        from llmconform.evidence.cassette import CassetteError, load

        try:
            header = load(path).header
        except CassetteError as exc:
            raise TargetError(f"replay target: {exc}") from None
        recorded = header.get("apis")
        yield OpenTarget(
            f"replay:{path.name}",
            "replay:",
            None,
            "replay",
            default_model=str(header.get("model") or "") or None,
            cassette=path,
            apis=frozenset(map(str, recorded)) if isinstance(recorded, list) else None,
        )
    elif spec.startswith("asgi:"):
        with serve_app(_load_app(spec.removeprefix("asgi:")), spec, api_key) as target:
            yield target
    elif spec.startswith(("http://", "https://")):
        try:
            parts = urlsplit(spec)
            parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
        except ValueError as exc:
            raise TargetError(
                f"target URL {describe(spec)!r} is not valid ({exc}); an IPv6 address goes "
                "in brackets: http://[::1]:8000/v1"
            ) from None
        if not parts.hostname:
            raise TargetError(f"target URL has no host: {describe(spec)}")
        if parts.username or parts.password:
            raise TargetError(
                "put credentials in an environment variable (--api-key-env), not in the target URL"
            )
        if parts.query or parts.fragment or spec.rstrip().endswith(("?", "#")):
            # Paths are appended to the base URL: a query would end up in the middle of
            # every URL ("/v1?api-version=…/chat/completions") and be lost from the report.
            raise TargetError(
                f"the target URL must be a base URL without '?…' or '#…': {describe(spec)}. "
                "For Azure OpenAI, use its v1 endpoint: https://NAME.openai.azure.com/openai/v1"
            )
        yield OpenTarget(describe(spec), spec.rstrip("/"), api_key, "http")
    else:
        guess = _with_scheme(spec)
        hint = f"did you mean {guess}? " if guess else ""
        raise TargetError(
            f"unknown target {spec!r}: {hint}use 'reference', an http(s):// base URL such as "
            "http://127.0.0.1:8000/v1, asgi:package.module:app, or replay:CASSETTE"
        )


_HOST_PORT = re.compile(r"^(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?(/\S*)?$")
_LOCAL_HOSTS = ("localhost", "127.", "[::1]", "0.0.0.0")


def _with_scheme(spec: str) -> str | None:
    """`host:port/path` given without its scheme, as the URL it probably meant, else None."""
    match = _HOST_PORT.match(spec.strip())
    if match is None or "://" in spec or ("." not in spec and ":" not in spec):
        return None
    host = match.group("host")
    scheme = "http" if host.startswith(_LOCAL_HOSTS) else "https"
    url = describe(f"{scheme}://{spec.strip()}")  # no query or user-info in a message
    return url if urlsplit(url).path.strip("/") else url.rstrip("/") + "/v1"


@contextmanager
def serve_app(
    app: Any, label: str, api_key: str | None = None, capabilities: frozenset[str] | None = None
) -> Iterator[OpenTarget]:
    """Serve an ASGI app object on an ephemeral loopback port for the duration of a run."""
    from llmconform.reference.server import serve_in_thread

    server = serve_in_thread(app)
    try:
        yield OpenTarget(label, server.url + "/v1", api_key, "asgi", capabilities=capabilities)
    finally:
        server.stop()


class TargetUnreachable(TargetFailure):
    """The target did not answer at all; nothing can be certified."""


_LOOKUP_FAILED = "GET /models failed (pass --model NAME to skip the model lookup)"


def discover_model(
    conn: Connection, limits: Limits, label: str, key_env: str = "LLMCONFORM_API_KEY"
) -> str:
    """The first model id `GET /models` lists (used when no --model is given).

    Sent through the executor like every exchange, so a target cannot stall it (whole
    exchange timeout and run deadline) or flood it (body cap after bounded decompression)."""
    from llmconform.engine.preflight import key_refused, listed_models, wrong_base_url
    from llmconform.transport.executor import fetch, is_deadline_error

    answer = fetch(Request("GET", "/models"), conn, limits)
    status = answer.status
    if status is None:
        why = answer.error or "no answer"
        if is_deadline_error(why):
            why = f"no answer to GET /models within the {limits.run_deadline_s:g} s run deadline"
        if why.startswith("could not connect"):
            raise TargetUnreachable(f"cannot reach {label}: {why}")
        raise TargetUnreachable(f"{label} accepted the connection but {_LOOKUP_FAILED}: {why}")
    if answer.error or answer.truncated:
        raise TargetUnreachable(
            f"{label} accepted the connection but {_LOOKUP_FAILED}: {answer.error}"
        )
    if status in (401, 403):
        raise Misconfigured(key_refused(status, bool(conn.api_key), key_env))
    if status == 404:
        raise Misconfigured(
            wrong_base_url(conn.base_url, "GET /models") + " (or pass --model NAME)"
        )
    if status != 200:
        raise TargetError(
            f"no --model given, and GET /models answered with status {status}, so no "
            "model could be chosen; pass --model NAME"
        )
    ids = listed_models(answer)
    if not ids:
        raise TargetError(
            "no --model given, and GET /models listed no model (expected "
            '{"data": [{"id": …}, …]}); pass --model NAME'
        )
    return ids[0]
