"""What a report's `info` states, held to what the run recorded in its cassette header (pure).

Nothing in `info` can be recomputed from the exchanges: the target's label, the model, the
declared capabilities, the options, the llmconform version and edition, whether the run
completed, and when it ran are facts about the run. The run writes each of them into the
cassette's header as well as into the report (`run/evidence.record_cassette`), and the
report names the cassette's hash, so an `info` field edited afterwards no longer matches.

Cassettes written before the header recorded the run's `options`, `complete` and times:
- `started_at`/`finished_at` are then accepted when they are well-formed ISO 8601 date-times
  with an offset, the start not after the end: nothing else about them can be checked;
- every other field the header does not record is refused as unverifiable.
Durations of cases are recorded in the header's `durations_ms` (see `verify`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmconform.evidence.compare import diff_json, well_formed_timestamp
from llmconform.model import RunInfo

__all__ = ["RECORDED_INFO", "info_diffs"]

# The `info` fields and the header keys that record them (the same names).
RECORDED_INFO = (
    "llmconform_version",
    "edition",
    "target",
    "model",
    "started_at",
    "finished_at",
    "complete",
    "options",
    "capabilities",
)
_TIMES = ("started_at", "finished_at")


def _reported(info: RunInfo, name: str) -> Any:
    value = getattr(info, name)
    return list(value) if isinstance(value, tuple) else value


def _expected_options(
    recorded: Mapping[str, Any], info: RunInfo, cassette_sha256: str | None
) -> dict[str, Any]:
    # The header cannot hold its own file's hash: it records the cassette's name, and the
    # hash is the one computed from the file (or, without the file, the report's own).
    expected = dict(recorded)
    named = expected.get("cassette")
    if isinstance(named, Mapping):
        claimed = (info.options.get("cassette") or {}).get("sha256")
        expected["cassette"] = {**named, "sha256": cassette_sha256 or claimed}
    return expected


def info_diffs(
    info: RunInfo, header: Mapping[str, Any], cassette_sha256: str | None = None
) -> list[str]:
    """Each way the report's `info` differs from the cassette's header, or cannot be held
    to it; empty when every field matches what the run recorded."""
    diffs: list[str] = []
    for name in RECORDED_INFO:
        mine = _reported(info, name)
        if name in header:
            theirs = header[name]
            if name == "options" and isinstance(theirs, Mapping):
                theirs = _expected_options(theirs, info, cassette_sha256)
            diffs += [
                f"{line} (the cassette records what the run stated)"
                for line in diff_json(f"info.{name}", mine, theirs)
            ]
        elif name in _TIMES:
            if not well_formed_timestamp(mine):
                diffs.append(f"info.{name}: {mine!r} is not an ISO 8601 date-time with an offset")
        else:
            diffs.append(
                f"info.{name} cannot be verified: the cassette does not record it (an older "
                "llmconform wrote it; record the run again)"
            )
    if not any(name in header for name in _TIMES) and all(
        well_formed_timestamp(_reported(info, name)) for name in _TIMES
    ):
        import datetime as dt

        start, end = (dt.datetime.fromisoformat(_reported(info, n)) for n in _TIMES)
        if start > end:
            diffs.append("info.started_at is after info.finished_at")
    return diffs
