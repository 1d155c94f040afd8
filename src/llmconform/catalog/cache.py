"""The conformance files, parsed: from YAML, or from a JSON copy kept in the user's cache.

Building Python objects from 150 kB of YAML takes ~20 ms even with libyaml (PyYAML's
constructor is pure Python), paid by every `llmconform run`. JSON of the same documents
loads in ~2 ms. The copy is keyed by a SHA-256 over every file's name and bytes, so an edit,
a new edition or another checkout never reads a stale copy; it holds plain JSON (nothing in
it can run code) and the documents still go through the catalog's validation after loading.
A copy is only read when no one but this user could have written it; `verify` never reads
one (it parses the YAML, so a changed copy cannot make it agree with a changed run).

Where: `$LLMCONFORM_CACHE_DIR`, else `$XDG_CACHE_HOME/llmconform`, else
`~/.cache/llmconform`; an empty `LLMCONFORM_CACHE_DIR` turns the cache off. A cache that
cannot be read or written is ignored: it only ever saves time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import yaml

__all__ = ["UnparsableFile", "cache_dir", "load_documents"]

# libyaml's safe loader is ~7x faster than the pure-Python one; same documents.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FORMAT = b"llmconform-catalog-cache-1"  # bump when what is stored changes
_PREFIX = "catalog-"
_MAX_BYTES = 16 * 1024 * 1024  # the packaged catalog's copy is ~160 kB
_KEEP = 4  # copies kept: a few installed versions or checkouts side by side do not thrash

Documents = list[tuple[str, Any]]  # (path relative to the root, parsed document)


class UnparsableFile(ValueError):
    """A conformance file is not valid YAML or UTF-8 (`rel` names it, `error` says why)."""

    def __init__(self, rel: str, error: Exception) -> None:
        super().__init__(f"{rel}: not valid YAML: {error}")
        self.rel = rel
        self.error = error


def cache_dir() -> Path | None:
    """Where parsed catalogs are kept, or None when the cache is turned off."""
    configured = os.environ.get("LLMCONFORM_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llmconform"


def load_documents(root: Path, files: list[Path], *, use_cache: bool = True) -> Documents:
    """Each file's YAML document, in `files` order (`use_cache=False`: always parsed).

    Raises `UnparsableFile` when a file is not valid UTF-8 YAML.
    """
    sources = [(path.relative_to(root).as_posix(), path.read_bytes()) for path in files]
    where = cache_dir() if use_cache else None
    cached = where / f"{_PREFIX}{_key(sources)}.json" if where else None
    if cached is not None:
        docs = _read(cached, [rel for rel, _ in sources])
        if docs is not None:
            return docs
    docs = []
    for rel, data in sources:
        try:
            docs.append((rel, yaml.load(data.decode("utf-8"), Loader=_LOADER)))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise UnparsableFile(rel, exc) from exc
    if cached is not None:
        _write(cached, docs)
    return docs


def _key(sources: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256(_FORMAT)
    for rel, data in sources:
        digest.update(b"\0" + rel.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:40]


def _read(path: Path, names: list[str]) -> Documents | None:
    """The cached documents, or None when absent, unreadable, untrusted or not as expected."""
    data = _trusted_bytes(path)
    if data is None:
        return None
    try:
        stored = json.loads(data)
    except ValueError:
        return None
    if not isinstance(stored, list) or len(stored) != len(names):
        return None
    docs: Documents = []
    for entry, name in zip(stored, names, strict=True):
        if not (isinstance(entry, list) and len(entry) == 2 and entry[0] == name):
            return None
        docs.append((name, entry[1]))
    return docs


def _trusted_bytes(path: Path) -> bytes | None:
    """The file's bytes if only this user could have written it: a regular file (not a link,
    a FIFO or a device) of ours, not writable by others, in a folder likewise ours. Anyone
    else able to write the copy could change what the run checks."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        if not _ours(os.stat(path.parent)):
            return None
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or not _ours(info) or info.st_size > _MAX_BYTES:
            return None
        return handle.read(_MAX_BYTES + 1)


def _ours(info: os.stat_result) -> bool:
    getuid = getattr(os, "getuid", None)  # absent on Windows, where ACLs decide instead
    if getuid is not None and info.st_uid != getuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _write(path: Path, docs: Documents) -> None:
    """Keep a JSON copy, if the documents survive JSON unchanged (else parse YAML each time).

    YAML can hold what JSON cannot (integer keys, dates); such a catalog is not cached rather
    than cached changed. Written to a temporary file and renamed, so a concurrent run reads
    the old copy or the new one, never half of one; only the newest few copies are kept.
    """
    try:
        text = json.dumps([[rel, doc] for rel, doc in docs], separators=(",", ":"))
        if json.loads(text) != [[rel, doc] for rel, doc in docs]:
            return
    except (TypeError, ValueError):
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        others = [p for p in path.parent.glob(f"{_PREFIX}*.json") if p != path]
        others.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in others[_KEEP - 1 :]:
            with contextlib.suppress(OSError):
                old.unlink()
