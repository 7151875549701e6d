"""Resolve export patterns to linkage names from the compiled objects, before linking.

Some formats cannot express a pattern: a Windows .def file lists names, an Apple list
cannot hold demangled C++ names, and a registration table needs every address. For
those, ``visgen generate --objects ...`` lists the global symbols the objects (or
archives) define, with an nm-compatible tool (``nm -P -g --defined-only``; llvm-nm reads
ELF, COFF and Mach-O alike), and matches them against the manifest with
:class:`visgen.match.PatternIndex`: an exact name beats every pattern, and among patterns
the first in manifest order wins.

An entry that claims no name is an error naming the entry, unless it is ``optional``, so
no linker ever sees a stale name. With a resolution, every generated file lists exact
names only, which every linker reads the same way.

Example::

    defined = nm_defined_symbols([Path("a.o"), Path("libdep.a")], nm="llvm-nm", platform="macos")
    resolution = resolve(library, "macos", defined)
    [r.name for r in resolution.exports]     # linkage names, without Mach-O's "_"

Naming conventions: *defined* maps a linkage name to its nm type letter (``T``, ``D``,
...); a *resolved export* is one name with the entry that claimed it and that entry's
version node.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from visgen.errors import GenerationError, ToolError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from visgen.model import ExportEntry, Library, Platform

__all__ = [
    "DATA_TYPES",
    "Resolution",
    "ResolvedExport",
    "find_nm",
    "nm_defined_symbols",
    "parse_nm_posix",
    "resolve",
]


def __dir__() -> list[str]:
    return list(__all__)


DATA_TYPES = frozenset("DBRGSVu")
"""nm type letters of data objects (initialised, bss, read-only, small, weak object,
unique); a name resolved from a pattern with one of these is written as ``DATA``."""

_CHUNK = 400
"""Objects per nm call (keeps command lines short on every platform)."""


@dataclass(frozen=True)
class ResolvedExport:
    """One exported linkage name and what declared it."""

    name: str
    """The linkage name (mangled for C++; without Mach-O's leading underscore)."""
    entry: ExportEntry
    node: str | None
    data: bool
    """A data object: a ``data`` entry, or a name whose nm type is in DATA_TYPES."""


@dataclass(frozen=True)
class Resolution:
    """Every export of a library on one platform, resolved to names, in manifest order."""

    exports: tuple[ResolvedExport, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.exports)


def find_nm(nm: str | None) -> str:
    """The nm tool to run: ``nm`` as given (a path or a name on PATH), else llvm-nm, else nm."""
    candidates = [nm] if nm else ["llvm-nm", "nm"]
    for cand in candidates:
        found = shutil.which(cand)
        if found:
            return found
    if nm:
        msg = f"--nm {nm}: no such program"
    else:
        msg = (
            "no nm tool found to list the objects' symbols (install llvm or binutils, or pass --nm)"
        )
    raise ToolError(msg)


def parse_nm_posix(text: str, platform: Platform) -> dict[str, str]:
    """Parse ``nm -P`` output: ``{name: type letter}`` for defined symbols.

    Archive member headers (``lib.a[x.o]:``) and undefined symbols are skipped. On
    macOS the leading underscore of every name is dropped (linkage names are C names).
    """
    result: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2 or line.endswith(":"):
            continue
        name, kind = fields[0], fields[1]
        if len(kind) != 1 or kind in "UvwN":
            continue
        if platform == "macos":
            if not name.startswith("_"):
                continue
            name = name[1:]
        result.setdefault(name, kind)
    return result


def nm_defined_symbols(
    objects: Sequence[Path], nm: str | None, platform: Platform
) -> dict[str, str]:
    """The global symbols ``objects`` define: ``{linkage name: nm type letter}``."""
    tool = find_nm(nm)
    for obj in objects:
        if not obj.is_file():
            msg = f"--objects: {obj}: no such file"
            raise GenerationError(msg)
    result: dict[str, str] = {}
    for start in range(0, len(objects), _CHUNK):
        chunk = [os.fspath(p) for p in objects[start : start + _CHUNK]]
        cmd = [tool, "-P", "-g", "--defined-only", *chunk]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, check=False, errors="surrogateescape"
            )
        except OSError as exc:
            msg = f"cannot run {tool}: {exc}"
            raise ToolError(msg) from exc
        if proc.returncode != 0:
            detail = proc.stderr.strip().splitlines()
            msg = f"{tool} failed on the objects: {detail[0] if detail else proc.returncode}"
            raise ToolError(msg)
        for name, kind in parse_nm_posix(proc.stdout, platform).items():
            result.setdefault(name, kind)
    return result


def _describe(entry: ExportEntry) -> str:
    return f"{entry.location}: {entry.kind} entry {entry.text!r}"


def resolve(
    library: Library,
    platform: Platform,
    defined: Mapping[str, str],
    exclude: Iterable[str] = (),
) -> Resolution:
    """Match the defined names against the library's entries for ``platform``.

    ``exclude`` names are never exports (the registration's init and destroy). Raises
    :class:`GenerationError` listing every non-optional entry that claimed no name.
    """
    from visgen.match import PatternIndex

    groups = library.groups_for(platform)
    node_of: dict[ExportEntry, str | None] = {}
    for group in groups:
        for entry in group.entries:
            node_of.setdefault(entry, group.node)
    index = PatternIndex(node_of)
    skip = set(exclude)
    names = sorted(n for n in defined if n not in skip)
    matched = index.match_names(names)
    missing = [e for e in index.unmatched() if not e.is_optional]
    if missing:
        where = f"the {platform} objects given"
        lines = "\n".join(f"  {_describe(e)}" for e in missing)
        msg = (
            f"library {library.name!r}: {len(missing)} export entr"
            f"{'y' if len(missing) == 1 else 'ies'} matched no symbol defined in {where}:\n"
            f"{lines}"
        )
        raise GenerationError(msg)
    order = {entry: i for i, entry in enumerate(node_of)}
    ranked = sorted(matched.items(), key=lambda item: (order[item[1]], item[0]))
    exports = tuple(
        ResolvedExport(
            name=name,
            entry=entry,
            node=node_of[entry],
            data=entry.is_data or (not entry.is_data and defined.get(name, "") in DATA_TYPES),
        )
        for name, entry in ranked
    )
    return Resolution(exports)
