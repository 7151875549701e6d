"""Write a manifest that matches a binary's current exports: the migration path.

``visgen extract libfoo.so`` prints TOML that ``visgen check`` accepts for the same
binary: one export group per version node, in definition order and with ``inherits``
(the first parent of each ``Verdef``), unversioned names in a first group without a
node, data objects (``STT_OBJECT``/``STT_TLS``) under ``data``, and C++ names under their
mangled names with the demangled name as a comment. Toolchain names and version-node
markers are left out (``check`` tolerates them). A name exported under several versions
(``memcpy@GLIBC_2.2.5`` beside ``memcpy@@GLIBC_2.14``) is listed once, under its default
version; ``check`` accepts the older, non-default ones as compatibility aliases.
"""

from __future__ import annotations

import re
from pathlib import Path

from visgen.check import is_vague_linkage
from visgen.demangle import demangle_many, is_mangled
from visgen.elf import read_symbols
from visgen.presets import toolchain_names

__all__ = ["extract_manifest", "library_name_for"]


def __dir__() -> list[str]:
    return list(__all__)


def library_name_for(path: str | Path) -> str:
    """``z`` for ``libz.so.1``; a TOML-safe key."""
    name = Path(path).name
    name = name.removeprefix("lib").split(".so", 1)[0].split(".", 1)[0]
    return re.sub(r"[^A-Za-z0-9_-]", "_", name) or "library"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array(key: str, names: list[str], demangled: dict[str, str]) -> list[str]:
    lines = [f"{key} = ["]
    for n in names:
        dm = demangled.get(n, n)
        comment = f"  # {dm}" if dm != n else ""
        lines.append(f"  {_q(n)},{comment}")
    lines.append("]")
    return lines


def extract_manifest(path: str | Path, library: str | None = None) -> str:
    """The manifest text for the binary at ``path``."""
    image = read_symbols(path, symtab=False)
    name = library or library_name_for(path)
    noise = toolchain_names(image.machine)
    table = image.dynsym
    groups: dict[str | None, tuple[list[str], list[str]]] = {None: ([], [])}
    for v in image.nodes:
        groups[v.name] = ([], [])
    default_of: dict[str, str | None] = {}
    kinds: dict[str, bool] = {}
    vague = 0
    for i in table.exported_indices():
        sym = table.symbol(i)
        if sym.name in noise or sym.is_version_marker:
            continue
        if sym.version is not None and sym.version not in groups:
            continue  # a version another library defines (copy relocation)
        if sym.name in default_of and sym.version_hidden:
            continue
        if sym.name not in default_of or not sym.version_hidden:
            default_of[sym.name] = sym.version
            kinds[sym.name] = sym.type in ("STT_OBJECT", "STT_TLS")
            if is_vague_linkage(sym.name, sym.binding, sym.type):
                vague += 1
    for sym_name, node in default_of.items():
        groups[node][1 if kinds[sym_name] else 0].append(sym_name)
    demangled = demangle_many(n for n in default_of if is_mangled(n))
    out = [
        f"# Exports of {Path(path).name} as found by `visgen extract`; review before use.",
        "schema = 1",
        "",
        f"[library.{name}]",
    ]
    parents = {v.name: (v.parents[0] if v.parents else None) for v in image.nodes}
    empty = {n for n, (f, d) in groups.items() if n is not None and not f and not d}
    for node in list(parents):  # a node that declares nothing is left out; skip it
        seen: set[str] = set()
        parent = parents[node]
        while parent in empty and parent not in seen:
            seen.add(parent)
            parent = parents.get(parent)
        parents[node] = parent
    for node, (funcs, data) in groups.items():
        if not funcs and not data:
            continue
        out += ["", f"[[library.{name}.exports]]"]
        if node is not None:
            out.append(f"node = {_q(node)}")
            if parents.get(node):
                out.append(f"inherits = {_q(parents[node] or '')}")
        if funcs:
            out += _array("symbols", sorted(funcs), demangled)
        if data:
            out += _array("data", sorted(data), demangled)
    if vague:
        out += [
            "",
            f"[library.{name}.check]",
            f"# {vague} weak or unique C++ vague-linkage symbols are exported today",
            '# (typeinfo, vtables, template statics); set "error" once they are hidden.',
            'vague = "off"',
        ]
    return "\n".join(out) + "\n"
