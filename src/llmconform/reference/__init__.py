"""The embedded reference server: a deterministic, spec-faithful OpenAI-compatible API.

It is `llmconform run`'s default target and the suite's first test subject. It implements
the protocol, not intelligence: a chat reply echoes the last user message (or says "OK"),
so every field a conformance check reads is predictable.

Layout: `app` (the ASGI pipeline: auth, routing, body cap, error envelope), `router`, one
module per API (`chat`, `models`), and shared helpers (`errors`, `params`, `tokenizer`,
`generation`, `asgi`). `server` runs an app with uvicorn.
"""

from llmconform.reference.app import create_app
from llmconform.reference.server import RunningServer, serve, serve_in_thread

__all__ = ["RunningServer", "create_app", "serve", "serve_in_thread"]
