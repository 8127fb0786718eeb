"""Registries: one per kind of named thing (backbones, spaces, detectors, measures, ...).

An entry carries its own metadata (a label for tables; a subclass adds what its kind needs, e.g. a measure's
direction and what it is computed from, `tlbench/methods/registry.py`), so reports
and the regression gate read the registry instead of keeping name tables of their own. Entries
that need code get it from the module that implements them (`Registry.implement`), which keeps
the registries light enough for params validation to import without torch or scikit-learn.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from .errors import TlbenchError


def did_you_mean(word: object, choices) -> str:
    """' (did you mean `x`?)' for the closest choice, or ''."""
    choices = [str(c) for c in choices]
    same_but_case = [c for c in choices if c.lower() == str(word).lower()]
    close = same_but_case or difflib.get_close_matches(str(word), choices, n=1, cutoff=0.5)
    return f" (did you mean `{close[0]}`?)" if close else ""


@dataclass(frozen=True)
class Entry:
    name: str
    label: str  # how tables and figures print it
    help: str = ""
    impl: Callable | None = field(default=None, compare=False, repr=False)


E = TypeVar("E")


class Registry(Generic[E]):
    """Named entries of one kind, in registration order."""

    def __init__(self, noun: str, entries=()):
        self.noun = noun  # what one entry is, for messages: "measure", "CV protocol", ...
        self._entries: dict[str, E] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: E) -> E:
        if entry.name in self._entries:
            raise TlbenchError(f"{self.noun} {entry.name!r} is registered twice")
        self._entries[entry.name] = entry
        return entry

    def remove(self, name: str) -> None:
        self._entries.pop(name, None)

    def implement(self, name: str, impl: Callable) -> Callable:
        """Attach the code of a registered entry (called by the module that implements it)."""
        self._entries[name] = replace(self[name], impl=impl)
        return impl

    def __getitem__(self, name) -> E:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise TlbenchError(f"unknown {self.noun} {name!r}{did_you_mean(name, self._entries)}: "
                               f"use one of {', '.join(self._entries)}") from None

    def impl(self, name: str) -> Callable:
        entry = self[name]
        if entry.impl is None:
            raise TlbenchError(
                f"{self.noun} {name!r} has no implementation loaded: import the module that implements it"
            )
        return entry.impl

    def implemented(self, **where) -> list[E]:
        """Every entry whose fields equal `where` (e.g. `computed_from="scores"`), each with its code: an entry
        registered without an implementation is an error, not a column that silently drops out of the tables."""
        entries = [e for e in self._entries.values() if all(getattr(e, k) == v for k, v in where.items())]
        missing = [e.name for e in entries if e.impl is None]
        what = ", ".join(f"{k}={v!r}" for k, v in where.items())
        if missing:
            raise TlbenchError(f"{self.noun} {', '.join(map(repr, missing))} ({what}) registered without an "
                               "implementation: import the module that calls "
                               f"`{self.noun.upper()}S.implement` for it before using the {self.noun}s of {what}")
        return entries

    def __contains__(self, name) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def values(self) -> list[E]:
        return list(self._entries.values())

    def label(self, name: str) -> str:
        return self[name].label
