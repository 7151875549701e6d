"""The GNU version script (linux): what bfd, gold, lld and mold all read the same way.

Layout: one block per version node, in manifest order, each naming its parent
(``inherits``); exact names, then globs, then an ``extern "C++"`` block; ``local: *;``
is the last line of the last block. Without version nodes the script is one anonymous
block ``{ global: ...; local: *; };``.

Rules that keep the four linkers in agreement (see docs/linkers.md for mold 1.10):

- A script cannot mix an anonymous block with named ones. Groups without ``node`` in a
  manifest that also has nodes go into the first node.
- With a resolution (``--objects``) every entry is written as the exact names it
  claimed (mangled for C++): no precedence rules left for linkers to disagree on.
- Without one, a name appears once (the first entry wins, as in the manifest); an
  ``optional`` exact name is written as a one-name pattern (``fo[o]``) so a build that
  lacks it is not an error under ``--no-undefined-version``; exact C++ names are quoted,
  C++ patterns are never quoted (mold would treat a quoted ``"ns::*"`` as a pattern,
  the others as a literal), and a C++ pattern that needs quoting (spaces, parentheses)
  is an error asking for ``--objects``. Nothing is ever listed as ``local`` except ``*``
  (mold 1.10 leaks local exact names under a global glob, and makes
  ``local: extern "C++"`` global).
- An exact name in a later node that a glob of an earlier node also matches is
  assigned differently by mold 1.10; that case gets a warning asking for ``--objects``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from visgen.errors import GenerationError
from visgen.render import Artifact, linker_file_name
from visgen.render._common import bracket_exact, describe, is_plain_name, needs_objects

if TYPE_CHECKING:
    from visgen.model import ExportEntry, ExportGroup, Library, Variant
    from visgen.resolve import Resolution

__all__ = ["Node", "build_nodes", "plan"]


def __dir__() -> list[str]:
    return list(__all__)


_UNQUOTED_CXX = re.compile(r"(?:[*?.$_a-zA-Z0-9\[\]\-!^\\]|::)+")
"""What GNU ld's lexer takes as one unquoted word inside ``extern "C++"``."""


_GLOB = re.compile(r"[*?\[]")
_PLAIN_LINES = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*(?:\n[A-Za-z_.$][A-Za-z0-9_.$]*)*")


@dataclass
class Node:
    """One block of the script, ready to print."""

    name: str | None
    inherits: str | None
    symbols: list[str] = field(default_factory=list)
    cxx: list[str] = field(default_factory=list)


_KEYWORDS = frozenset(("global", "local", "extern"))
"""Words lld, gold and mold lex as keywords inside a version node: quoted when exact."""


def _quote(name: str) -> str:
    if is_plain_name(name) and name not in _KEYWORDS:
        return name
    if '"' in name or "*" in name or "?" in name or "[" in name:
        msg = f"cannot write the linkage name {name!r} in a version script"
        raise GenerationError(msg)
    return f'"{name}"'


def _empty_nodes(library: Library) -> tuple[list[Node], dict[str | None, Node]]:
    groups = library.groups_for("linux")
    nodes: list[Node] = []
    by_name: dict[str | None, Node] = {}
    for group in groups:
        if group.node is not None and group.node not in by_name:
            node = Node(group.node, group.inherits)
            nodes.append(node)
            by_name[group.node] = node
        elif group.node is not None and by_name[group.node].inherits is None:
            by_name[group.node].inherits = group.inherits
    if not nodes:
        nodes.append(Node(None, None))
    by_name[None] = nodes[0]
    return nodes, by_name


def _from_resolution(library: Library, resolution: Resolution) -> list[Node]:
    nodes, by_name = _empty_nodes(library)
    for export in resolution.exports:
        by_name[export.node].symbols.append(_quote(export.name))
    return nodes


def _from_entries(library: Library) -> tuple[list[Node], list[str]]:
    nodes, by_name = _empty_nodes(library)
    seen: set[str] = set()
    globs: list[tuple[int, ExportEntry]] = []
    exact_groups: list[tuple[int, ExportGroup]] = []
    position = {id(node): i for i, node in enumerate(nodes)}
    for group in library.groups_for("linux"):
        node = by_name[group.node]
        exact_groups.append((position[id(node)], group))
        # fast path: the group's exact names (symbols, data) in bulk, checked by one regex
        plain = group.symbols + group.data
        bulk: frozenset[str] = frozenset()
        if plain and _PLAIN_LINES.fullmatch("\n".join(plain)) and _KEYWORDS.isdisjoint(plain):
            fresh = [n for n in dict.fromkeys(plain) if n not in seen]
            seen.update(fresh)
            node.symbols.extend(fresh)
            bulk = frozenset(plain)
        for entry in group.entries:
            text = entry.text
            kind = entry.kind
            if kind in ("symbol", "data") and text in bulk:
                continue
            key = ("+" if kind == "cxx" else "") + text
            if key in seen:
                continue
            seen.add(key)
            if kind == "cxx":
                if not _GLOB.search(text):
                    if '"' in text:
                        raise needs_objects(library, entry, "cannot be quoted in a version script")
                    node.cxx.append(f'"{text}"')
                elif _UNQUOTED_CXX.fullmatch(text):
                    node.cxx.append(text)
                else:
                    raise needs_objects(
                        library, entry, "is a C++ pattern a version script cannot hold unquoted"
                    )
                continue
            if _GLOB.search(text):
                if not _UNQUOTED_CXX.fullmatch(text):
                    raise needs_objects(library, entry, "is a pattern a version script cannot hold")
                node.symbols.append(text)
                globs.append((position[id(node)], entry))
            elif kind == "optional":
                node.symbols.append(bracket_exact(text) if is_plain_name(text) else _quote(text))
            else:
                node.symbols.append(_quote(text))
    return nodes, _mold_warnings(library, exact_groups, globs)


def _mold_warnings(
    library: Library,
    exact_groups: list[tuple[int, ExportGroup]],
    globs: list[tuple[int, ExportEntry]],
) -> list[str]:
    """Exact names in a later node that a glob of an earlier node also matches."""
    warnings: list[str] = []
    if not globs:
        return warnings
    for pos, group in exact_groups:
        earlier = [g for gpos, g in globs if gpos < pos]
        if not earlier:
            continue
        for entry in group.entries:
            if entry.kind not in ("symbol", "data") or _GLOB.search(entry.text):
                continue
            for glob in earlier:
                if fnmatch.fnmatchcase(entry.text, glob.text):
                    warnings.append(
                        f"library {library.name!r}: {describe(entry)} is also matched by "
                        f"{describe(glob)} of an earlier version node; GNU ld, gold and lld "
                        "give it the exact entry's node, mold 1.10 the glob's. Pass --objects "
                        "to write exact names only (see docs/linkers.md)"
                    )
                    break
    return warnings


def build_nodes(
    library: Library, variant: Variant, resolution: Resolution | None
) -> tuple[list[Node], list[str]]:
    """The blocks of the script for ``variant``, and warnings."""
    init, destroy = library.registration.init, library.registration.destroy
    if variant == "registered":
        return [Node(None, None, [_quote(init), _quote(destroy)])], []
    if resolution is not None:
        nodes, warnings = _from_resolution(library, resolution), list[str]()
    else:
        nodes, warnings = _from_entries(library)
    if variant == "shared-registered":
        nodes[0].symbols[:0] = [_quote(init), _quote(destroy)]
    return nodes, warnings


def plan(
    library: Library, variant: Variant, resolution: Resolution | None
) -> tuple[Artifact, list[str]]:
    nodes, warnings = build_nodes(library, variant, resolution)
    context = {
        "library": library.name,
        "variant": variant,
        "nodes": nodes,
    }
    path = linker_file_name(library, "linux", variant)
    return Artifact("version_script.map.j2", path, context), warnings
