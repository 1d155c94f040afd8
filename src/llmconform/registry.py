"""One registry type for checks, scenarios, expanders and SDK features.

A registry names the modules that define its entries. Definitions are marked where they are
written (`@REGISTRY.define(name)`), which attaches the entry to the function and changes no
global state; the registry collects the marked functions of its modules the first time it is
read. So importing a module has no side effect, no module needs a bottom-of-file import to
"register" another, and what a registry holds is stated in one list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

__all__ = ["Registry"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__llmconform_entries__"


class Registry(Mapping[str, T], Generic[T]):
    """A read-only mapping of name → entry, filled from `modules` on first read.

    `build` turns a marked function (and the extra values given to `define`) into the entry;
    by default the entry is the function itself.
    """

    def __init__(
        self,
        kind: str,
        modules: Sequence[str],
        build: Callable[..., T] | None = None,
    ) -> None:
        self.kind = kind
        self.modules = tuple(modules)
        self._build: Callable[..., T] = build or (lambda fn, name: fn)
        self._entries: dict[str, T] | None = None

    def define(self, name: str, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        """Mark a function as the entry `name` of this registry (collected when it is read)."""

        def mark(fn: F) -> F:
            marks: list[tuple[Registry[Any], str, tuple[Any, ...], dict[str, Any]]]
            marks = list(getattr(fn, _MARK, ()))
            marks.append((self, name, args, kwargs))
            setattr(fn, _MARK, marks)
            return fn

        return mark

    def include(self, module_name: str) -> None:
        """Add a module of definitions (a plugin's, a test's), collected like the listed ones."""
        if module_name in self.modules:
            return
        if self._entries is not None:
            entries = dict(self._entries)
            self._collect(module_name, entries)  # raises before anything changes
            self._entries = entries
        self.modules = (*self.modules, module_name)

    def _load(self) -> dict[str, T]:
        if self._entries is not None:
            return self._entries
        entries: dict[str, T] = {}
        for module_name in self.modules:
            self._collect(module_name, entries)
        self._entries = entries
        return entries

    def _collect(self, module_name: str, entries: dict[str, T]) -> None:
        module = importlib.import_module(module_name)
        # Functions made in a loop are listed in the module's DEFINITIONS.
        values = [*vars(module).values(), *getattr(module, "DEFINITIONS", ())]
        for value in values:
            if getattr(value, "__module__", None) != module_name:
                continue  # imported from elsewhere: collected with its own module
            for registry, name, args, kwargs in getattr(value, _MARK, ()):
                if registry is not self:
                    continue
                if name in entries:
                    raise ValueError(f"{self.kind} {name!r} defined twice")
                entries[name] = self._build(value, name, *args, **kwargs)

    def __getitem__(self, name: str) -> T:
        return self._load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __repr__(self) -> str:
        state = "not loaded" if self._entries is None else f"{len(self._entries)} entries"
        return f"Registry({self.kind!r}, {state})"
