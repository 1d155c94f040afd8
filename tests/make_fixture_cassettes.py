"""Regenerate the packaged fixture cassettes (run by hand when cases change):

    python tests/make_fixture_cassettes.py

Each cassette records a few cases against the reference, or against the reference broken in
one way; `expected.yaml` names the requirements each must fail. tests/test_fixture_cassettes.py
replays them offline as self-tests of the suite.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from pathlib import Path

import yaml
from rich.console import Console

sys.path.insert(0, str(Path(__file__).parent))

from llmconform.engine.plan import CORE_CAPABILITIES
from llmconform.reference.app import create_app
from llmconform.run.evidence import record_cassette  # noqa: F401
from llmconform.run.runner import execute_run
from llmconform.settings import RunSettings
from llmconform.transport.targets import serve_app

from broken_servers import DONE, BrokenApp, Fault

OUT = Path(__file__).resolve().parent / "fixtures" / "cassettes"
KEYWORD = "chat.basic or stream.basic or stream.include_usage or error.missing_model"


def _ms(value: object) -> object:
    return value * 1000 if isinstance(value, int) else value


def _error_as_detail(body: object) -> object:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return {"detail": body["error"]["message"]}
    return body


TARGETS: dict[str, tuple[object, list[str]]] = {
    "reference": (create_app(), []),
    "defect-no-done": (
        BrokenApp(Fault("no_done", events=lambda evs: [e for e in evs if e != DONE]), None),
        ["STREAM-003"],
    ),
    "defect-created-ms": (
        BrokenApp(
            Fault(
                "ms",
                body=lambda b: (
                    {**b, "created": _ms(b.get("created"))}
                    if isinstance(b, dict) and "created" in b
                    else b
                ),
            ),
            None,
        ),
        ["CHAT-002"],
    ),
    "defect-detail-errors": (
        BrokenApp(Fault("detail", body=_error_as_detail), None),
        ["ERR-005"],
    ),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    expected: dict[str, list[str]] = {}
    for name, (app, failing) in TARGETS.items():
        with (
            tempfile.TemporaryDirectory() as tmp,
            serve_app(app, name, None, CORE_CAPABILITIES) as target,
        ):
            request = RunSettings(
                target="asgi:fixture",
                model="llmconform-reference",
                keyword=KEYWORD,
                capabilities=CORE_CAPABILITIES,
                apis=frozenset({"openai"}),
                record=Path(tmp) / "c.jsonl",
            )
            execute_run(request, target, Console(file=io.StringIO()))
            shutil.copy(Path(tmp) / "c.jsonl", OUT / f"{name}.jsonl")
        expected[name] = failing
    header = "# Requirements each fixture cassette must fail (none: it must pass).\n"
    (OUT / "expected.yaml").write_text(header + yaml.safe_dump(expected, sort_keys=True))
    print(f"wrote {len(TARGETS)} cassettes to {OUT}")


if __name__ == "__main__":
    main()
