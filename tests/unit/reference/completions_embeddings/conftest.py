"""Fixtures for the Completions and Embeddings tests: in-process calls to a reference app."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from llmconform.reference import create_app

MODEL = "llmconform-reference"


class Ref:
    """Sends requests to a reference app in process (httpx's ASGI transport)."""

    def __init__(self) -> None:
        self.app = create_app(models=(MODEL, "other-model"))

    def post(self, path: str, body: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ref.test") as c:
                return await c.post(path, json=body)

        return asyncio.run(go())

    def completion(self, **body: Any) -> httpx.Response:
        """POST /v1/completions with `model` filled in unless given."""
        return self.post("/v1/completions", {"model": MODEL, **body})

    def embeddings(self, **body: Any) -> httpx.Response:
        """POST /v1/embeddings with `model` filled in unless given."""
        return self.post("/v1/embeddings", {"model": MODEL, **body})

    @staticmethod
    def chunks(response: httpx.Response) -> list[dict[str, Any]]:
        """The JSON chunks of a stream, asserting `data:` framing and one final [DONE]."""
        assert response.headers["content-type"].startswith("text/event-stream")
        text = response.text
        assert text.endswith("data: [DONE]\n\n")
        events = text[:-2].split("\n\n")
        assert all(e.startswith("data: ") for e in events)
        assert events.count("data: [DONE]") == 1
        return [json.loads(e[len("data: ") :]) for e in events[:-1]]


@pytest.fixture
def ref() -> Ref:
    """An in-process reference app without an API key."""
    return Ref()
