"""Compare built binaries with the manifest: the engine of ``visgen check``.

Flow: :mod:`visgen.elf` reads the binary, :class:`~visgen.match.PatternIndex` matches
its exported names against the library's entries, and the rules of SPEC section 5 turn
the differences into :class:`~visgen.findings.Finding` objects. ``.symtab`` is read only
when a declared name is missing, to say what hid it.

Example::

    findings = check_binary("build/libasyncrt.so", manifest.library("asyncrt"))
    findings = check_binary("build/_core.cpython-311-x86_64-linux-gnu.so", None,
                            policy="python-extension")

Naming conventions: *exported* means defined, global/weak/unique and default or protected
visibility in ``.dynsym``; *declared* means named by an entry of the manifest; *noise*
is a toolchain-injected name (:mod:`visgen.presets`).
"""

from __future__ import annotations

import bisect
import itertools
import operator
import os
from itertools import repeat

from visgen.demangle import demangle_many, is_mangled
from visgen.elf import (
    SHN_ABS,
    is_archive,
    read_archive,
    read_export_set,
    read_exports,
    read_symbols,
)
from visgen.findings import Finding
from visgen.match import PatternIndex
from visgen.model import ExportEntry, Library, Location
from visgen.presets import preset_globs, toolchain_names

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# check (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Container, Iterable
    from pathlib import Path
    from typing import Literal

    from visgen.elf import Exports, SymbolTable
    from visgen.model import Variant


__all__ = ["Policy", "check_binary", "check_many", "is_vague_linkage", "python_module_name"]


def __dir__() -> list[str]:
    return list(__all__)


if TYPE_CHECKING:
    Policy = Literal["python-extension"]
else:

    def __getattr__(name: str) -> object:
        from visgen._lazy_literals import literal

        return literal(__name__, name, {"Policy": ("python-extension",)})


_VAGUE_PREFIXES = ("_ZTI", "_ZTS", "_ZTV", "_ZTT", "_ZGV", "_ZTH", "_ZTW")


def is_vague_linkage(name: str, binding: str, sym_type: str) -> bool:
    """An exported C++ vague-linkage object: typeinfo, typeinfo name, vtable, VTT, guard
    variable or TLS wrapper, or a weak/unique data object (template static member,
    inline variable, function-local static of an inline function)."""
    if binding not in ("STB_WEAK", "STB_GNU_UNIQUE") or not is_mangled(name):
        return False
    if name.startswith(_VAGUE_PREFIXES):
        return True
    return binding == "STB_GNU_UNIQUE" or sym_type in ("STT_OBJECT", "STT_TLS")


def python_module_name(path: str | Path) -> str:
    """``_core`` for ``_core.cpython-311-x86_64-linux-gnu.so`` or ``_core.abi3.so``."""
    return os.path.basename(os.fspath(path)).split(".", 1)[0]  # noqa: PTH119 (no pathlib: start-up)


class _Exported:
    """The exported dynamic symbols a check judges, as columns in ``.dynsym`` order:
    those of :func:`~visgen.elf.read_exports` without toolchain names and version-node
    markers (taken from the table's own columns, which it owns afterwards)."""

    __slots__ = ("bindings", "names", "types", "version_hidden", "versions")

    def __init__(self, table: Exports) -> None:
        noise = toolchain_names(table.machine)
        names = table.names
        drop: list[int] = []
        # version-node markers are named after the version they carry
        versions = {v for v in set(table.versions) if v is not None}
        for name in (noise | versions).intersection(names):
            k = -1
            while True:
                try:
                    k = names.index(name, k + 1)
                except ValueError:
                    break
                # a toolchain name, or a version-node marker (SHN_ABS, named after its node)
                if name in noise or (table.versions[k] == name and table.shndx[k] == SHN_ABS):
                    drop.append(k)
        columns = (names, table.bindings, table.types, table.versions, table.version_hidden)
        for k in sorted(set(drop), reverse=True):  # a few rows: delete them in place
            for column in columns:
                del column[k]
        self.names = names
        self.bindings = table.bindings
        self.types = table.types
        self.versions = table.versions
        self.version_hidden = table.version_hidden

    def __len__(self) -> int:
        return len(self.names)


_VAGUE_BINDINGS = frozenset(("STB_WEAK", "STB_GNU_UNIQUE"))


class _Checker:
    def __init__(self, binary: str, library: Library | None) -> None:
        self.binary = binary
        self.library = library
        self.findings: list[Finding] = []
        self.where = library.location if library is not None else None
        self._demangled: dict[str, str] = {}

    def pretty(self, name: str) -> str:
        """``demangled (mangled)`` for C++ names, the name itself otherwise."""
        if not is_mangled(name):
            return name
        text = self._demangled.get(name)
        if text is None:
            text = demangle_many((name,))[name]
            self._demangled[name] = text
        return f"{text} ({name})" if text != name else name

    def add(
        self,
        rule: str,
        message: str,
        *,
        symbol: str | None = None,
        location: Location | None = None,
        severity: Literal["error", "warning"] = "error",
        hint: str | None = None,
    ) -> None:
        self.findings.append(
            Finding(
                rule,
                message,
                severity,
                location if location is not None else self.where,
                self.binary,
                symbol,
                hint,
            )
        )


def _allow_index(library: Library | None) -> PatternIndex | None:
    if library is None:
        return None
    texts = list(library.check.allow)
    for preset in library.check.allow_presets:
        texts.extend(preset_globs(preset))
    if not texts:
        return None
    loc = Location(library.location.file, library.location.line, f"library.{library.name}.check")
    return PatternIndex(ExportEntry(t, "glob", loc) for t in texts)


def _hidden_reason(sym_binding: str, sym_visibility: str, prefix: str) -> str:
    if sym_visibility in ("STV_HIDDEN", "STV_INTERNAL"):
        return (
            f"it was compiled with {sym_visibility} visibility: the declaration lacks "
            f"{prefix}_EXPORT (or {prefix}_STATIC_DEFINE was defined while building the DSO)"
        )
    if sym_binding == "STB_LOCAL":
        return (
            "it is local with default visibility: a version script (`local:`) or "
            "--exclude-libs demoted it at link time, or GNU ld demoted a symbol compiled "
            f"hidden (a declaration without {prefix}_EXPORT), or it is `static`"
        )
    return f"it is {sym_binding} with {sym_visibility} visibility"


def _entry_kind_word(entry: ExportEntry) -> str:
    return {"symbol": "symbol", "data": "data object", "cxx": "C++ name"}.get(entry.kind, "entry")


def check_binary(
    path: str | Path,
    library: Library | None,
    *,
    variant: Variant | None = None,
    policy: Policy | None = None,
) -> list[Finding]:
    """Every finding for one binary (a DSO, or an ``ar`` archive with ``variant="static"``).

    ``variant`` defaults to ``static`` for an archive and ``shared`` otherwise.
    """
    binary = str(path)
    if variant is None:
        variant = "static" if is_archive(path) else "shared"
    if policy == "python-extension":
        return _check_python_extension(binary)
    if library is None:
        msg = "check_binary needs a library unless a policy is given"
        raise ValueError(msg)
    if variant == "static":
        return _check_static(binary, library)
    checker = _Checker(binary, library)
    reg = library.registration
    if variant == "registered":
        _check_registered(checker, _Exported(read_exports(binary)), library)
        return checker.findings
    ungrouped: tuple[ExportEntry, ...] = ()
    if variant == "shared-registered":
        loc = library.location
        ungrouped = (ExportEntry(reg.init, "symbol", loc), ExportEntry(reg.destroy, "symbol", loc))
    if not _check_shared_as_set(checker, library, ungrouped):
        entries = library.entries_for("linux") + ungrouped
        _check_shared(checker, _Exported(read_exports(binary)), library, entries, ungrouped)
    return checker.findings


def _check_registered(checker: _Checker, exported: _Exported, library: Library) -> None:
    reg = library.registration
    wanted = {reg.init, reg.destroy}
    have = set(exported.names)
    for name in (reg.init, reg.destroy):
        if name not in have:
            checker.add(
                "missing-export",
                f"registration function {name} is not exported",
                symbol=name,
                hint="the registered variant must export exactly init and destroy",
            )
    for name in exported.names:
        if name not in wanted:
            checker.add(
                "registration-leak",
                f"{checker.pretty(name)} is exported by a registered variant, "
                f"which may export only {reg.init} and {reg.destroy}",
                symbol=name,
            )


def _check_shared_as_set(
    checker: _Checker, library: Library, ungrouped: tuple[ExportEntry, ...]
) -> bool:
    """:func:`_check_shared` on the exported names as a set (:func:`read_export_set`),
    about twice as fast on a large library; False (nothing checked) where the set
    cannot tell: a version check that needs each symbol's own entry (several nodes, or
    symbols under several versions or under another node than the manifest's one), or
    a file the set reader does not take. The findings are the same as
    :func:`_check_shared`'s, in the same order (``tests/check/test_set_path.py``)."""
    nodes = {group.node for group in library.exports}
    if len(nodes) > 1:
        return False
    vague_mode = library.check.vague
    table = read_export_set(checker.binary, weak=vague_mode != "off")
    if table is None or len(table.versions) > 1:
        return False
    node = next(iter(nodes), None)  # a library without export groups has no node
    if node is not None and table.versions:
        ((version, hidden),) = table.versions
        if version != node and not hidden:
            return False  # every declared name has the wrong version: say so row by row
    noise = toolchain_names(table.machine)
    names = _sorted_unique(table.names, noise)
    # an extracted manifest (exact names only): one comparison of two strings when clean
    exact = None if ungrouped else library.sorted_exact_names("linux")
    if exact is not None and (not names or names[0]) and _joined_equals(names, exact):
        unclaimed: list[str] = []  # every name declared, every declared name exported
        unmatched: list[ExportEntry] = []
    else:
        # the entries are built only here: a clean check of an extracted manifest never
        # needs its 45,000 (see ExportGroup.deferred)
        index = PatternIndex(library.entries_for("linux") + ungrouped)
        claimed, unclaimed = index.claims(names)
        unmatched = _unclaimed_entries(index, claimed)
    weak = [row for row in table.weak or () if row[0] not in noise]
    _report_names(checker, library, unclaimed, weak)
    _report_unmatched(checker, checker.binary, unmatched, library)
    return True


def _sorted_unique(names: list[str], leave_out: frozenset[str]) -> list[str]:
    """``sorted(set(names) - leave_out)``, sorting ``names`` in place: no set of 45,000
    names, and the few names to leave out found by binary search."""
    names.sort()
    if any(map(operator.eq, names, itertools.islice(names, 1, None))):
        names[:] = dict.fromkeys(names)  # a string table that holds a name twice
    for name in leave_out:
        at = bisect.bisect_left(names, name)
        if at < len(names) and names[at] == name:
            del names[at]
    return names


def _joined_equals(names: list[str], joined: bytes) -> bool:
    """``"\\0".join(names).encode() == joined``, a slice of names at a time (no second
    copy of every name)."""
    at = 0
    step = 4096
    for start in range(0, len(names), step):
        chunk = "\0".join(names[start : start + step]).encode("utf-8", "surrogatepass")
        if start:
            chunk = b"\0" + chunk
        if not joined.startswith(chunk, at):
            return False
        at += len(chunk)
    return at == len(joined)


def _unexpected(checker: _Checker, name: str) -> None:
    checker.add(
        "unexpected-export",
        f"{checker.pretty(name)} is exported but not declared in the manifest",
        symbol=name,
        hint="declare it, make it hidden, or list it under [library.X.check] allow",
    )


def _vague(checker: _Checker, name: str, binding: str, mode: str) -> None:
    kind = "unique" if binding == "STB_GNU_UNIQUE" else "weak"
    checker.add(
        "vague-export",
        f"{checker.pretty(name)} is an exported {kind} C++ vague-linkage "
        "symbol; each DSO loaded RTLD_LOCAL gets its own copy",
        symbol=name,
        severity="warning" if mode == "warn" else "error",
        hint="hide it (export a C API or an explicit instantiation instead), "
        "or set vague = 'warn' or 'off'",
    )


def _check_shared(
    checker: _Checker,
    exported: _Exported,
    library: Library,
    entries: tuple[ExportEntry, ...],
    ungrouped: tuple[ExportEntry, ...],
) -> None:
    names = exported.names
    index = PatternIndex(entries)
    found = index.match_list(names)
    unclaimed = sorted(set(itertools.compress(names, map(operator.not_, found))))
    weak: list[tuple[str, str, str]] = []
    if library.check.vague != "off":
        # only weak and unique symbols can be vague (is_vague_linkage checks the rest)
        rows = itertools.compress(
            zip(names, exported.bindings, exported.types, strict=True),
            map(_VAGUE_BINDINGS.__contains__, exported.bindings),
        )
        weak = list(rows)
    _report_names(checker, library, unclaimed, weak)
    _check_versions(checker, exported, library, found, frozenset(ungrouped))
    _report_unmatched(checker, checker.binary, _unclaimed_entries(index, set(found)), library)


def _unclaimed_entries(
    index: PatternIndex, claimed: Container[ExportEntry | None]
) -> list[ExportEntry]:
    """The entries of ``index`` (in manifest order) that are not in ``claimed`` (a set of
    entries, identity-hashed: cheaper than counting hits per entry)."""
    return list(
        itertools.compress(
            index.entries, map(operator.not_, map(claimed.__contains__, index.entries))
        )
    )


def _report_names(
    checker: _Checker,
    library: Library,
    unclaimed: list[str],
    weak: list[tuple[str, str, str]],
) -> None:
    """``unexpected-export`` for each name in ``unclaimed`` (sorted, each once) that is
    neither allowed nor vague, then ``vague-export`` for each vague one among the
    ``(name, binding, type)`` rows of the weak and unique symbols, in name order."""
    allow = _allow_index(library)
    allowed = allow.match_names(unclaimed) if allow is not None and unclaimed else {}
    # each name once (a name exported under two versions is one finding)
    vague = {name: b for name, b, t in sorted(weak) if is_vague_linkage(name, b, t)}
    for name in unclaimed:
        if name in allowed or name in vague:
            continue  # a vague one is reported once, as vague-export, below
        _unexpected(checker, name)
    for name, binding in vague.items():
        if name not in allowed:
            _vague(checker, name, binding, library.check.vague)


def _check_versions(
    checker: _Checker,
    exported: _Exported,
    library: Library,
    found: list[ExportEntry | None],
    ungrouped: frozenset[ExportEntry],
) -> None:
    """``wrong-version``: a declared name exported under another node than its group's
    (``name@OLD`` beside ``name@@NEW`` is a compatibility alias, not a finding).
    ``ungrouped`` holds the entries of ``found`` that belong to no export group (the
    registration functions), which declare no node."""
    versions = exported.versions
    nodes = {group.node for group in library.exports}
    if nodes <= {None}:
        return
    wrong: list[tuple[int, str]]  # (row, declared node), rows in order
    if len(nodes) == 1:
        # one node for every group (a library with one version, the common case): only
        # the rows under another version need a look, not a dict of every entry
        node = next(iter(nodes), None)  # a library without export groups has no node
        assert node is not None
        rows = itertools.compress(range(len(found)), map(operator.ne, versions, repeat(node)))
        wrong = [(k, node) for k in rows if found[k] is not None and found[k] not in ungrouped]
    else:
        node_of: dict[ExportEntry | None, str] = {}
        for group in library.exports:
            if group.node is not None:
                node_of.update(dict.fromkeys(group.entries, group.node))
        want = list(map(node_of.get, found))
        rows = itertools.compress(range(len(want)), map(operator.ne, versions, want))
        wrong = [(k, n) for k in rows if (n := want[k]) is not None]
    for k, node in wrong:
        if exported.version_hidden[k]:
            continue
        name = exported.names[k]
        got = f"version {versions[k]}" if versions[k] else "no version"
        entry = found[k]
        assert entry is not None  # only declared names have a node
        checker.add(
            "wrong-version",
            f"{checker.pretty(name)} is exported with {got}, declared under {node}",
            symbol=name,
            location=entry.location,
        )


def _report_unmatched(
    checker: _Checker, path: str, missing: list[ExportEntry], library: Library
) -> None:
    missing = [e for e in missing if e.kind != "optional"]
    if not missing:
        return
    full = read_symbols(path, symtab=True)
    symtab = full.symtab
    local_index: dict[str, int] = {}
    if symtab is not None:
        local_index = {
            name: i for i, name in enumerate(symtab.names) if symtab.shndx[i] != 0 and name
        }
    prefix = library.macro_prefix
    pattern_entries = [e for e in missing if e.is_pattern]
    hidden_by_pattern: dict[ExportEntry, list[str]] = {}
    if pattern_entries and symtab is not None:
        pidx = PatternIndex(pattern_entries)
        hidden_names = [
            n
            for n, i in local_index.items()
            if symtab.bindings[i] == "STB_LOCAL" or symtab.visibilities[i] != "STV_DEFAULT"
        ]
        for name, entry in pidx.match_names(hidden_names).items():
            hidden_by_pattern.setdefault(entry, []).append(name)
    for entry in missing:
        if entry.is_pattern:
            hidden = hidden_by_pattern.get(entry)
            if hidden:
                first = symtab.symbol(local_index[hidden[0]]) if symtab else None
                reason = _hidden_reason(first.binding, first.visibility, prefix) if first else ""
                checker.add(
                    "hidden-export",
                    f"pattern {entry.text!r} matches only symbols that are defined but not "
                    f"exported ({', '.join(checker.pretty(n) for n in hidden[:3])}"
                    f"{', ...' if len(hidden) > 3 else ''}); {reason}",
                    symbol=hidden[0],
                    location=entry.location,
                )
            else:
                checker.add(
                    "unmatched-entry",
                    f"pattern {entry.text!r} matches no exported symbol",
                    location=entry.location,
                    hint="remove it, fix it, or move it under `optional`",
                )
            continue
        name = entry.text
        if entry.is_cxx:
            name = _find_cxx(symtab, entry.text) or entry.text
        at = local_index.get(name)
        word = _entry_kind_word(entry)
        if at is not None and symtab is not None:
            sym = symtab.symbol(at)
            checker.add(
                "hidden-export",
                f"{word} {checker.pretty(name)} is defined in the binary but not exported: "
                + _hidden_reason(sym.binding, sym.visibility, prefix),
                symbol=name,
                location=entry.location,
            )
        else:
            why = "" if symtab is not None else " (the binary is stripped: no .symtab to say why)"
            checker.add(
                "missing-export",
                f"{word} {checker.pretty(name)} is declared but not exported{why}",
                symbol=name,
                location=entry.location,
                hint="define it in the library, or move it under `optional`",
            )


def _find_cxx(symtab: SymbolTable | None, text: str) -> str | None:
    if symtab is None:
        return None
    candidates = [n for n in symtab.names if is_mangled(n)]
    for name, dm in demangle_many(candidates).items():
        if dm == text:
            return name
    return None


def _check_python_extension(binary: str) -> list[Finding]:
    exported = _Exported(read_exports(binary))
    checker = _Checker(binary, None)
    module = python_module_name(binary)
    init = f"PyInit_{module}"
    if init not in exported.names:
        checker.add(
            "missing-export",
            f"Python extension module {module!r} does not export {init}",
            symbol=init,
            hint="the file name must match the module name given to PYBIND11_MODULE/NB_MODULE",
        )
    for name in exported.names:
        if name != init:
            checker.add(
                "unexpected-export",
                f"{checker.pretty(name)} is exported; a Python extension module should "
                f"export {init} only",
                symbol=name,
                hint="build with -fvisibility=hidden (pybind11_add_module/nanobind_add_module "
                "do) or link with visgen's version script",
            )
    return checker.findings


def _check_static(binary: str, library: Library) -> list[Finding]:
    members = read_archive(binary)
    checker = _Checker(binary, library)
    noise = toolchain_names(members[0].image.machine if members else 0)
    defined: dict[str, tuple[str, str, str]] = {}  # name -> (member, binding, visibility)
    for m in members:
        table = m.image.symtab
        if table is None:
            continue
        for name, b, v, x in zip(
            table.names, table.bindings, table.visibilities, table.shndx, strict=True
        ):
            if x == 0 or b == "STB_LOCAL" or not name:
                continue
            defined.setdefault(name, (m.name, b, v))
    index = PatternIndex(library.entries_for("linux"))
    index.match_names(defined)
    for entry in index.unmatched():
        if entry.kind == "optional":
            continue
        if entry.is_pattern:
            checker.add(
                "unmatched-entry",
                f"pattern {entry.text!r} matches no symbol defined in the archive",
                location=entry.location,
            )
        else:
            checker.add(
                "missing-export",
                f"{_entry_kind_word(entry)} {checker.pretty(entry.text)} is declared but "
                "defined in no object of the archive",
                symbol=entry.text,
                location=entry.location,
            )
    for name, (member, binding, vis) in defined.items():
        if vis in ("STV_DEFAULT", "STV_PROTECTED") and name not in noise:
            checker.add(
                "unexpected-export",
                f"{checker.pretty(name)} ({member}, {binding}) has {vis} visibility in the "
                "static archive; a DSO that links the archive would re-export it",
                symbol=name,
                hint=f"compile the static variant with -fvisibility=hidden and "
                f"{library.macro_prefix}_STATIC_DEFINE",
            )
    return checker.findings


def check_many(
    paths: Iterable[str | Path],
    library: Library | None,
    *,
    variant: Variant | None = None,
    policy: Policy | None = None,
) -> list[Finding]:
    """:func:`check_binary` over several binaries, findings in order."""
    out: list[Finding] = []
    for p in paths:
        out.extend(check_binary(p, library, variant=variant, policy=policy))
    return out
