"""Process-wide TLS settings for llmconform's HTTP clients.

httpx builds a fresh SSL context for every client it creates, and building one reads the
whole CA bundle (~14 ms here): a run creates two or three clients (reachability check or
model discovery, the executor's pool). One verifying context per process is shared instead;
`ssl.SSLContext` is safe to share between clients and threads.
"""

from __future__ import annotations

import functools
import ssl

import httpx

__all__ = ["tls_verify"]


@functools.cache
def tls_verify(verify: bool) -> ssl.SSLContext | bool:
    """The `verify=` argument for an httpx client: a shared verifying context, or False."""
    if not verify:
        return False
    make = getattr(httpx, "create_ssl_context", None)  # public from httpx 0.28
    return make() if callable(make) else True
