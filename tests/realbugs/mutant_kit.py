"""The mutant framework: each real bug of catalog.yaml as a named fault of the reference server.

A `Mutant` is keyed by its catalog id and re-creates that bug with the `broken_servers.Fault`
mechanism (request, status, body, chunk or whole-stream rewrites) or, when the bug lives
outside one response (routing, auth), with an ASGI wrapper of its own. `kills` names the
requirements the catalog entry is about: a mutant counts as killed only when one of them
fails, so a mutant caught by an incidental check still shows up as a gap. A bug that cannot
be re-created against the reference carries `skip` (its reason) and is counted apart.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from llmconform.model import Outcome, RunReport
from llmconform.reference.app import create_app

from broken_servers import BrokenApp, Fault
from support import TEST_KEY, run_against

CATALOG = Path(__file__).with_name("catalog.yaml")
# Catalog `api` -> the API family a run selects (RunSettings.apis).
FAMILY = {
    "chat": "openai",
    "completions": "openai",
    "embeddings": "openai",
    "models": "openai",
    "responses": "responses",
    "anthropic": "anthropic",
}
AppFactory = Callable[[str | None], Any]


@dataclass(frozen=True)
class Mutant:
    """One catalog bug re-created against the reference."""

    id: str
    kills: tuple[str, ...] = ()
    fault: Fault | None = None
    app: AppFactory | None = None  # for bugs outside one response (routes, auth)
    keyword: str | None = None  # restricts the run to the relevant cases (speed)
    skip: str = ""  # why the bug cannot be re-created against the reference
    gap: str = ""  # a known survivor: why the suite does not kill it yet

    def build(self, api_key: str | None = TEST_KEY) -> Any:
        """The ASGI app of this mutant."""
        if self.app is not None:
            return self.app(api_key)
        return BrokenApp(self.fault or Fault(self.id), api_key)


@dataclass(frozen=True)
class Verdict:
    """What a run against one mutant showed."""

    mutant: str
    failed: frozenset[str] = field(default_factory=frozenset)  # requirements with a fail
    warned: frozenset[str] = field(default_factory=frozenset)
    kills: tuple[str, ...] = ()

    @property
    def killed(self) -> bool:
        """A requirement the mutant names failed."""
        return bool(self.failed & set(self.kills))

    @property
    def warned_only(self) -> bool:
        """A named SHOULD warned, but no named requirement failed."""
        return not self.killed and bool(self.warned & set(self.kills))


def catalog() -> dict[str, dict[str, Any]]:
    """Catalog entries by id."""
    entries = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    return {e["id"]: e for e in entries}


def findings(report: RunReport, outcome: Outcome) -> frozenset[str]:
    """Requirements with at least one finding of `outcome`."""
    return frozenset(
        f.requirement for c in report.cases for f in c.findings if f.outcome is outcome
    )


def run_mutant(mutant: Mutant, family: str) -> Verdict:
    """Run the cases of `family` (narrowed by the mutant's keyword) against the mutant."""
    report = run_against(mutant.build(), apis=frozenset({family}), keyword=mutant.keyword)
    return Verdict(
        mutant.id, findings(report, Outcome.FAIL), findings(report, Outcome.WARN), mutant.kills
    )


def table(mutants: list[Mutant]) -> dict[str, Mutant]:
    """Mutants by id, refusing duplicates."""
    ids = Counter(m.id for m in mutants)
    dupes = [i for i, n in ids.items() if n > 1]
    if dupes:
        raise ValueError(f"duplicate mutants: {dupes}")
    return {m.id: m for m in mutants}


Predicate = Callable[[Any, Any], bool]  # (ASGI scope, request JSON or None)


class Refuse:
    """The reference, except that requests matching `when` get a fixed error answer.

    For bugs where a server rejects a request the API accepts (or guards a route it should
    not): the answer is written here, the rest is the reference's.
    """

    def __init__(self, when: Predicate, status: int, body: Any, api_key: str | None) -> None:
        self.when, self.status, self.body = when, status, body
        self.inner = create_app(api_key=api_key)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        raw = b""
        while True:
            msg = await receive()
            raw += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        try:
            sent: Any = json.loads(raw) if raw else None
        except (ValueError, RecursionError):  # not JSON, or nested beyond the parser
            sent = None
        if self.when(scope, sent):
            data = json.dumps(self.body).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": self.status, "headers": headers})
            await send({"type": "http.response.body", "body": data})
            return
        done = False

        async def replay() -> Any:
            nonlocal done
            if done:
                return await receive()
            done = True
            return {"type": "http.request", "body": raw, "more_body": False}

        await self.inner(scope, replay, send)


def header(scope: Any, name: str) -> str | None:
    """A request header of an ASGI scope (None when absent)."""
    for key, value in scope.get("headers", []):
        if bytes(key).decode("latin-1").lower() == name:
            return bytes(value).decode("latin-1")
    return None


def refuse(when: Predicate, status: int, body: Any) -> AppFactory:
    """A factory of `Refuse` apps (see Mutant.app)."""
    return lambda api_key: Refuse(when, status, body, api_key)
