"""Helpers shared by the per-artifact planners: banners and name checks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from visgen.errors import GenerationError

if TYPE_CHECKING:
    from visgen.model import ExportEntry, Library

__all__ = [
    "bracket_exact",
    "describe",
    "is_pattern",
    "is_plain_name",
    "needs_objects",
    "registration_names",
]


def __dir__() -> list[str]:
    return list(__all__)


_PLAIN_NAME = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*")
_GLOB = re.compile(r"[*?\[]")


def is_pattern(entry: ExportEntry) -> bool:
    """:attr:`ExportEntry.is_pattern`, fast (a glob character, or any cxx entry)."""
    return entry.kind == "cxx" or _GLOB.search(entry.text) is not None


def is_plain_name(name: str) -> bool:
    """A linkage name every linker script and list format takes unquoted."""
    return _PLAIN_NAME.fullmatch(name) is not None


def bracket_exact(name: str) -> str:
    """An exact name written as a pattern that matches only it (``foo`` -> ``fo[o]``).

    Used for ``optional`` names where no objects were given: a pattern that matches
    nothing is never an error, an exact name that is missing is one (lld's
    ``--no-undefined-version``, ld64's exported-symbols list).
    """
    return f"{name[:-1]}[{name[-1]}]"


def describe(entry: ExportEntry) -> str:
    return f"{entry.location}: {entry.kind} entry {entry.text!r}"


def needs_objects(library: Library, entry: ExportEntry, what: str) -> GenerationError:
    msg = (
        f"library {library.name!r}: {describe(entry)} {what}; pass the compiled objects "
        "with --objects (the CMake functions do) so visgen can resolve it to names"
    )
    return GenerationError(msg)


def registration_names(library: Library) -> tuple[str, str]:
    return library.registration.init, library.registration.destroy
