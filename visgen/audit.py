"""Hazards across a set of DSOs: the engine of ``visgen audit`` (SPEC section 5, issue 8).

Several DSOs loaded into one process (Python extension modules are loaded
``RTLD_LOCAL``) may each carry their own copy of something C++ treats as unique: a
template static data member or inline variable used as a type id, a static local of an
inline function, typeinfo, a vtable. Identity comparisons then fail at run time, far from
the cause. This module finds those copies, works out whether glibc's loader will unify
them, and reports C++ symbols that cross DSO boundaries.

Flow: :func:`collect` turns paths (files, directories, wheels) into :class:`Dso` records
(wheel members with the ELF magic are extracted to a temporary directory laid out as
they would be installed, so ``$ORIGIN`` resolves as it will in site-packages);
:class:`LoadGraph` resolves ``DT_NEEDED`` through ``DT_RUNPATH``/``DT_RPATH``
(``$ORIGIN`` expanded) within the set; :func:`simulate` replays the loader's symbol
lookup for every load order that matters; :func:`audit_paths` turns the results into
:class:`~visgen.findings.Finding` objects.

The loader model (glibc ``elf/dl-lookup.c``, ``elf/dl-object.c``):

- a DSO that no other DSO of the set needs, or that exports ``PyInit_*``, is a *root*:
  something may ``dlopen`` it ``RTLD_LOCAL`` on its own, in any order; every other DSO
  is loaded only as a dependency;
- the objects a root brings in are relocated in the lookup scope of that root: the global
  scope (assumed to define none of the audited symbols), then the root and its
  dependencies breadth-first. A reference binds to the first definition in that order,
  so a root's own weak copy wins over its library's;
- an object keeps the bindings of the load that brought it in: if another root loaded a
  library first, a later root's load does not rebind it (the load-order case);
- glibc binds every reference to an ``STB_GNU_UNIQUE`` definition to the first such
  definition of the name it saw, across ``RTLD_LOCAL`` (other loaders do not);
- a hidden copy (local in ``.symtab``) is only ever used by its own DSO.

Two roots loaded one after the other cover every outcome: which copy an object uses
depends only on the root whose load brought it in, so two objects that can disagree
disagree in some order of at most two roots.

Example::

    findings = audit_paths(["dist/pkg-1.0-cp311-cp311-linux_x86_64.whl"])
    report = analyze(["build/"])          # with the load graph and the verdicts
    for dup in report.duplicates:
        print(dup.name, dup.verdict.unified, dup.verdict.order)

Naming conventions: a *copy* is one DSO's definition of a symbol (exported or hidden);
an *observer* is a DSO that defines or references it; a *scenario* is a sequence of
roots loaded ``RTLD_LOCAL`` into a fresh process; a *binding* is the copy an observer
ends up using (``None`` when it resolves outside the set).
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import tempfile
import zipfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from visgen.demangle import demangle_many, is_mangled
from visgen.elf import SHN_ABS, SHN_UNDEF, read_dynamic, read_symbols
from visgen.errors import BinaryError, UsageError
from visgen.findings import Finding
from visgen.match import PatternIndex
from visgen.model import ExportEntry
from visgen.presets import toolchain_names

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from visgen.model import Library, Manifest

__all__ = [
    "Audit",
    "Copy",
    "Dso",
    "Duplicate",
    "LoadGraph",
    "Verdict",
    "analyze",
    "audit_paths",
    "collect",
    "has_internal_linkage",
    "is_identity",
    "simulate",
]


def __dir__() -> list[str]:
    return list(__all__)


ELF_MAGIC = b"\x7fELF"
ZIP_MAGIC = b"PK\x03\x04"

_NOT_IDENTITY = ("_ZTS", "_ZGV", "_ZTT", "_ZTC", "_ZTH", "_ZTW", "_ZTh", "_ZTv", "_ZTc")
"""Typeinfo names, guard variables, VTTs, construction vtables, TLS and virtual thunks:
they travel with an identity object that is reported instead."""

_PRIVATE_BY_DESIGN = ("std::", "__gnu_cxx::", "__cxxabiv1::", "pybind11::", "nanobind::")
"""Namespaces whose hidden copies are per-module on purpose (the C++ runtime's own
instantiations; pybind11 and nanobind share their state through Python, not symbols)."""

_SPECIAL_PREFIXES = (
    "typeinfo for ",
    "vtable for ",
    "guard variable for ",
    "TLS init function for ",
    "TLS wrapper function for ",
)

CopyKind = Literal["STB_GLOBAL", "STB_WEAK", "STB_GNU_UNIQUE", "hidden"]


def is_identity(name: str, sym_type: str) -> bool:
    """An identity-bearing C++ object: typeinfo, a vtable, or a mangled data object
    (template static data member, static local of an inline function, inline variable)."""
    if not is_mangled(name) or name.startswith(_NOT_IDENTITY):
        return False
    return name.startswith(("_ZTI", "_ZTV")) or sym_type in ("STT_OBJECT", "STT_TLS")


def has_internal_linkage(name: str) -> bool:
    """True for a C++ entity with internal linkage (``static``, an anonymous namespace):
    such a symbol is private to its translation unit by the language, not a copy."""
    if "_GLOBAL__N" in name:
        return True
    s = name[2:]
    while s.startswith("Z"):  # a local entity: look at its enclosing function's name
        s = s[1:]
    if s.startswith("N"):
        s = s[1:].lstrip("rVK")
    while s:
        if s[0] == "L" and s[1:2].isdigit():
            return True
        if s.startswith("St"):
            s = s[2:]
            continue
        digits = len(s) - len(s.lstrip("0123456789"))
        if not digits:
            return False
        s = s[digits + int(s[:digits]) :]
    return False


# -- the set ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dso:
    """One ELF shared object of the set, with what the audit needs of it."""

    name: str
    """How messages name it: the path as given, or ``wheel.whl!member/path``."""
    path: str
    """Where it is on disk (absolute, normalised; inside a temporary folder for wheels)."""
    aliases: tuple[str, ...]
    """Every absolute path that reaches the file (symlinks in a folder), ``path`` first."""
    machine: tuple[int, int, str]
    """``(e_machine, bits, byteorder)``: only DSOs that agree can share a process."""
    soname: str | None
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]
    exports: dict[str, tuple[str, str, str]] = field(repr=False, compare=False)
    """Exported dynamic symbols: name -> (binding, type, visibility)."""
    imports: frozenset[str] = field(repr=False, compare=False)
    """Undefined dynamic symbols (what the DSO expects another object to define)."""
    hidden: dict[str, str] = field(repr=False, compare=False)
    """Private copies of identity objects from ``.symtab`` (local or hidden, C++ external
    linkage): name -> type. Empty when the DSO is stripped."""
    has_symtab: bool = True

    @property
    def origin(self) -> str:
        return str(Path(self.path).parent)

    @property
    def is_python_module(self) -> bool:
        return any(n.startswith("PyInit_") for n in self.exports)


def _read_dso(name: str, path: str, aliases: tuple[str, ...]) -> Dso | None:
    """The :class:`Dso` at ``path``, or None when it is ELF but not a shared object."""
    image = read_symbols(path, symtab=True)
    if image.elf_type != "ET_DYN":
        return None
    dyn = read_dynamic(path)
    noise = toolchain_names(image.machine)
    table = image.dynsym
    exports: dict[str, tuple[str, str, str]] = {}
    for i in table.exported_indices():
        sym_name = table.names[i]
        if not sym_name or sym_name in noise:
            continue
        if table.shndx[i] == SHN_ABS and sym_name == table.versions[i]:
            continue  # version-node marker
        exports[sym_name] = (table.bindings[i], table.types[i], table.visibilities[i])
    imports = frozenset(
        n for n, x in zip(table.names, table.shndx, strict=True) if x == SHN_UNDEF and n
    )
    hidden: dict[str, str] = {}
    if image.symtab is not None:
        st = image.symtab
        hidden = {
            sym_name: typ
            for sym_name, bind, vis, x, typ in zip(
                st.names, st.bindings, st.visibilities, st.shndx, st.types, strict=True
            )
            if x != SHN_UNDEF
            and (bind == "STB_LOCAL" or vis in ("STV_HIDDEN", "STV_INTERNAL"))
            and sym_name not in exports
            and is_identity(sym_name, typ)
            and not has_internal_linkage(sym_name)
        }
    return Dso(
        name=name,
        path=path,
        aliases=aliases,
        machine=(image.machine, image.bits, image.byteorder),
        soname=dyn.soname,
        needed=dyn.needed,
        rpath=dyn.rpath,
        runpath=dyn.runpath,
        exports=exports,
        imports=imports,
        hidden=hidden,
        has_symtab=image.symtab is not None,
    )


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(4)


def _wheel_target(member: str) -> PurePosixPath:
    """Where pip installs a wheel member, relative to site-packages (``.data`` mapped)."""
    parts = PurePosixPath(member).parts
    if len(parts) > 2 and parts[0].endswith(".data") and parts[1] in ("purelib", "platlib"):
        return PurePosixPath(*parts[2:])
    return PurePosixPath(member)


def _extract_wheel(wheel: Path, root: Path, taken: dict[str, str]) -> list[tuple[str, str]]:
    """Extract the ELF members of ``wheel`` under ``root``; ``(display name, path)`` pairs."""
    out: list[tuple[str, str]] = []
    try:
        with zipfile.ZipFile(wheel) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                with zf.open(info) as fh:
                    if fh.read(4) != ELF_MAGIC:
                        continue
                target = _wheel_target(info.filename)
                if target.is_absolute() or ".." in target.parts:
                    msg = f"{wheel}: member {info.filename!r} would install outside site-packages"
                    raise BinaryError(msg)
                key = str(target)
                if key in taken:
                    msg = f"{wheel}: {key} is also installed by {taken[key]}"
                    raise UsageError(msg)
                taken[key] = str(wheel)
                dest = root / target
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, dest.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                out.append((f"{wheel}!{info.filename}", str(dest)))
    except zipfile.BadZipFile as exc:
        msg = f"{wheel}: not a valid wheel (zip archive): {exc}"
        raise BinaryError(msg) from None
    except OSError as exc:
        msg = f"{wheel}: cannot read: {exc.strerror or exc}"
        raise BinaryError(msg) from None
    return out


def _walk(folder: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for fname in sorted(filenames):
            yield Path(dirpath, fname)


def collect(paths: Iterable[str | Path], scratch: Path) -> list[Dso]:
    """The ELF DSOs of ``paths`` (files, folders, wheels), each file once.

    In folders and wheels, files that are not ELF and ELF files that are not shared
    objects (``.o`` files, ``ET_EXEC`` programs) are skipped; a path named on the command
    line must be a DSO or a wheel. Wheels are extracted into ``scratch``.
    """
    found: dict[str, tuple[str, list[str]]] = {}  # realpath -> (display name, aliases)
    order: list[str] = []
    explicit: set[str] = set()
    taken: dict[str, str] = {}

    def add(display: str, path: str, *, named: bool) -> None:
        absolute = os.path.normpath(Path(path).absolute())
        real = os.path.realpath(path)
        if real not in found:
            found[real] = (display, [absolute])
            order.append(real)
        elif absolute not in found[real][1]:
            _first, aliases = found[real]
            if Path(aliases[0]).is_symlink() and not Path(absolute).is_symlink():
                found[real] = (display, [absolute, *aliases])  # name the file, not a link
            else:
                aliases.append(absolute)
        if named:
            explicit.add(real)

    for raw in paths:
        p = Path(raw)
        if not p.exists():
            msg = f"{p}: no such file or folder"
            raise UsageError(msg)
        if p.is_dir():
            for f in _walk(p):
                try:
                    if f.is_file() and _head(f) == ELF_MAGIC:
                        add(str(f), str(f), named=False)
                except OSError:
                    continue
            continue
        try:
            head = _head(p)
        except OSError as exc:
            msg = f"{p}: cannot read: {exc.strerror or exc}"
            raise BinaryError(msg) from None
        if head == ELF_MAGIC:
            add(str(p), str(p), named=True)
        elif head == ZIP_MAGIC or p.suffix == ".whl":
            root = scratch / "site-packages"
            for display, path in _extract_wheel(p, root, taken):
                add(display, path, named=False)
        else:
            msg = f"{p}: not an ELF file or a wheel"
            raise BinaryError(msg)
    dsos: list[Dso] = []
    for real in order:
        display, aliases = found[real]
        path = aliases[0]
        try:
            dso = _read_dso(display, path, tuple(aliases))
        except BinaryError as exc:
            text = str(exc)
            if display != path and text.startswith(path):
                text = display + text[len(path) :]  # name the wheel member, not the scratch copy
            raise BinaryError(text) from None
        if dso is None:
            if real in explicit:
                msg = f"{display}: is an ELF file but not a shared object (ET_DYN)"
                raise UsageError(msg)
            continue
        dsos.append(dso)
    return dsos


# -- who loads whom --------------------------------------------------------------------

EdgeKind = Literal["runpath", "rpath", "path", "name"]


@dataclass(frozen=True)
class Edge:
    """``source`` needs ``target`` (``DT_NEEDED`` ``needed``), found through ``kind``."""

    source: int
    target: int
    needed: str
    kind: EdgeKind


def _expand(entry: str, origin: str) -> str | None:
    for token in ("${ORIGIN}", "$ORIGIN"):
        entry = entry.replace(token, origin)
    if "$" in entry:
        return None  # $LIB, $PLATFORM: depend on the host; not resolvable here
    return entry


def _short_names(dsos: Sequence[Dso]) -> dict[int, str]:
    base = {i: d.name.rsplit("!", 1)[-1].rsplit("/", 1)[-1] for i, d in enumerate(dsos)}
    counts: dict[str, int] = {}
    for b in base.values():
        counts[b] = counts.get(b, 0) + 1
    return {i: b if counts[b] == 1 else dsos[i].name for i, b in base.items()}


class LoadGraph:
    """Which DSO of the set each ``DT_NEEDED`` entry reaches, and the lookup scopes.

    A needed name is searched the way glibc does: ``DT_RUNPATH`` of the object when it
    has one, else ``DT_RPATH`` of the object and of the objects that loaded it, each with
    ``$ORIGIN`` expanded. A name found in neither way still reaches a DSO of the set
    whose ``DT_SONAME`` (or file name) it is, as glibc reuses an object already loaded
    under that name; edges found so are of kind ``"name"``.
    """

    def __init__(self, dsos: Sequence[Dso]) -> None:
        self.dsos = tuple(dsos)
        self._by_path: dict[str, int] = {}
        self._by_name: dict[str, list[int]] = {}
        for i, d in enumerate(self.dsos):
            for alias in (*d.aliases, os.path.realpath(d.path)):
                self._by_path.setdefault(alias, i)
                self._by_name.setdefault(Path(alias).name, []).append(i)
            if d.soname:
                self._by_name.setdefault(d.soname, []).append(i)
        self.short = _short_names(self.dsos)
        """How messages name each DSO: its file name, or its full name where two share one."""
        self._scopes: dict[int, tuple[int, ...]] = {}
        self._edges: dict[tuple[int, int], Edge] = {}
        for i in range(len(self.dsos)):
            self.scope(i)  # every edge, found as the loader finds it (inherited DT_RPATH too)
        self.edges: list[Edge] = sorted(self._edges.values(), key=lambda e: (e.source, e.target))
        needed_by_others = {e.target for e in self.edges if e.source != e.target}
        self.libraries: frozenset[int] = frozenset(needed_by_others)
        """The DSOs another DSO of the set needs (where an identity can be anchored)."""
        roots = [
            i for i, d in enumerate(self.dsos) if i not in needed_by_others or d.is_python_module
        ]
        self.roots: tuple[int, ...] = tuple(roots) or tuple(range(len(self.dsos)))

    @functools.cached_property
    def roots_reaching(self) -> dict[int, tuple[int, ...]]:
        """For each DSO, the roots whose load brings it in."""
        out: dict[int, list[int]] = {}
        for r in self.roots:
            for d in self.scope(r):
                out.setdefault(d, []).append(r)
        return {d: tuple(rs) for d, rs in out.items()}

    def _lookup_path(self, path: str) -> int | None:
        absolute = os.path.normpath(Path(path).absolute())
        hit = self._by_path.get(absolute)
        if hit is None and Path(absolute).exists():
            hit = self._by_path.get(os.path.realpath(absolute))
        return hit

    def resolve(self, source: int, needed: str, loaders: tuple[int, ...]) -> Edge | None:
        """The DSO of the set that ``needed`` of ``source`` reaches, or None."""
        d = self.dsos[source]
        if "/" in needed:
            hit = self._lookup_path(needed)
            return Edge(source, hit, needed, "path") if hit is not None else None
        searches: list[tuple[EdgeKind, Dso]] = []
        if d.runpath:
            searches.append(("runpath", d))
        else:
            searches.append(("rpath", d))
            for up in reversed(loaders):
                ld = self.dsos[up]
                if ld.runpath:
                    break
                searches.append(("rpath", ld))
        for kind, owner in searches:
            dirs = owner.runpath if kind == "runpath" else owner.rpath
            for entry in dirs:
                base = _expand(entry, owner.origin)
                if base is None:
                    continue
                hit = self._lookup_path(str(Path(base) / needed))
                if hit is not None:
                    return Edge(source, hit, needed, kind)
        candidates = [c for c in self._by_name.get(needed, []) if c != source]
        same = [c for c in candidates if self.dsos[c].machine == d.machine]
        if same:
            return Edge(source, same[0], needed, "name")
        return None

    def _resolve_all(self, source: int, loaders: tuple[int, ...]) -> list[Edge]:
        out = []
        for needed in self.dsos[source].needed:
            e = self.resolve(source, needed, loaders)
            if e is not None:
                out.append(e)
        return out

    def scope(self, root: int) -> tuple[int, ...]:
        """The local lookup scope of ``root``: itself, then its dependencies breadth-first."""
        cached = self._scopes.get(root)
        if cached is not None:
            return cached
        order = [root]
        seen = {root}
        queue: deque[tuple[int, tuple[int, ...]]] = deque([(root, ())])
        while queue:
            node, loaders = queue.popleft()
            for e in self._resolve_all(node, loaders):
                self._edges.setdefault((e.source, e.target), e)
                if e.target not in seen:
                    seen.add(e.target)
                    order.append(e.target)
                    queue.append((e.target, (*loaders, node)))
        result = tuple(order)
        self._scopes[root] = result
        return result


# -- the loader simulation ---------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    """One DSO's definition of a symbol."""

    dso: int
    kind: CopyKind
    visibility: str = "STV_DEFAULT"


@dataclass(frozen=True)
class Verdict:
    """Whether every observer of a symbol uses one copy, in every load order.

    When not, ``order`` is a load order (indexes of roots) that splits them, and
    ``split`` two observers that then use different copies, with the copies they use
    (``None``: a hidden copy of the observer itself).
    """

    unified: bool
    order: tuple[int, ...] = ()
    split: tuple[tuple[int, int | None, str], tuple[int, int | None, str]] | None = None
    unified_alone: tuple[int, ...] = ()
    """Roots that, loaded alone, leave the two observers of ``split`` on one copy."""


Binding = tuple[int, str] | None
"""``(dso, "exported" | "hidden")``: the copy an observer uses; None outside the set."""


def simulate(
    graph: LoadGraph, name: str, copies: Sequence[Copy], observers: Sequence[int]
) -> Verdict:
    """Replay glibc's lookup of ``name`` for every load order of at most two roots."""
    by_dso = {c.dso: c for c in copies}
    if all(c.kind == "STB_GNU_UNIQUE" and c.visibility != "STV_PROTECTED" for c in copies):
        return Verdict(unified=True)  # every lookup ends in glibc's table of unique symbols
    watched = set(observers)
    reach = graph.roots_reaching
    roots = sorted({r for o in watched for r in reach.get(o, ())})

    def bind(obs: int, root: int, table: dict[str, int]) -> Binding:
        own = by_dso.get(obs)
        if own is not None and own.kind == "hidden":
            return (obs, "hidden")
        if own is not None and own.visibility == "STV_PROTECTED":
            return (obs, "exported")
        for cand in graph.scope(root):
            c = by_dso.get(cand)
            if c is None or c.kind == "hidden":
                continue
            if c.kind == "STB_GNU_UNIQUE":
                return (table.setdefault(name, cand), "exported")
            return (cand, "exported")
        return None

    def run(seq: tuple[int, ...]) -> dict[int, tuple[Binding, int]]:
        table: dict[str, int] = {}
        bound: dict[int, tuple[Binding, int]] = {}
        for root in seq:
            for obj in graph.scope(root):
                if obj in watched and obj not in bound:
                    bound[obj] = (bind(obj, root, table), root)
        return bound

    singles = [(r,) for r in roots]
    pairs = [(a, b) for a, b in itertools.permutations(roots, 2)]
    alone: dict[int, dict[int, tuple[Binding, int]]] = {}
    for seq in singles + pairs:
        bound = run(seq)
        if len(seq) == 1:
            alone[seq[0]] = bound
        items = sorted(bound.items())
        for (o1, (b1, _r1)), (o2, (b2, _r2)) in itertools.combinations(items, 2):
            if b1 is None or b2 is None or b1 == b2:
                continue
            unified_alone = tuple(
                r
                for r, res in alone.items()
                if o1 in res and o2 in res and res[o1][0] == res[o2][0]
            )
            return Verdict(
                unified=False,
                order=seq,
                split=((o1, b1[0], b1[1]), (o2, b2[0], b2[1])),
                unified_alone=unified_alone,
            )
    return Verdict(unified=True)


# -- findings --------------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    """A symbol with copies in two or more DSOs of one set, and the loader's verdict."""

    name: str
    copies: tuple[Copy, ...]
    observers: tuple[int, ...]
    verdict: Verdict


@dataclass
class Audit:
    """Everything :func:`analyze` found: the set, its load graph, duplicates, findings."""

    dsos: tuple[Dso, ...]
    graphs: tuple[LoadGraph, ...]
    duplicates: list[Duplicate]
    findings: list[Finding]

    def dso(self, name: str) -> Dso:
        """The DSO whose display name is ``name`` or ends with ``/name`` (tests, tools)."""
        for d in self.dsos:
            if d.name == name or d.name.endswith(("/" + name, "!" + name)):
                return d
        msg = f"no DSO {name!r} in the set"
        raise KeyError(msg)


class _Names:
    """Demangled names for messages, computed in one batch."""

    def __init__(self, names: Iterable[str]) -> None:
        self.text = demangle_many(sorted(set(names)))

    def pretty(self, name: str) -> str:
        text = self.text.get(name, name)
        return f"{text} ({name})" if text != name else name

    def private_by_design(self, name: str) -> bool:
        text = self.text.get(name, name)
        for prefix in _SPECIAL_PREFIXES:
            if text.startswith(prefix):
                text = text[len(prefix) :]
                break
        return text.startswith(_PRIVATE_BY_DESIGN)


def _copy_text(name: str, copy: Copy) -> str:
    if copy.kind == "hidden":
        return f"{name} (hidden)"
    extra = ", STV_PROTECTED" if copy.visibility == "STV_PROTECTED" else ""
    return f"{name} ({copy.kind}{extra})"


def _verdict_text(dup: Duplicate, graph: LoadGraph) -> str:
    v = dup.verdict
    short = graph.short
    kinds = {c.kind for c in dup.copies}
    if v.unified:
        if kinds == {"STB_GNU_UNIQUE"}:
            return (
                "unified at run time: glibc binds every STB_GNU_UNIQUE definition of a name "
                "to the first one loaded, even across RTLD_LOCAL (other C libraries do not, "
                "and these DSOs can no longer be unloaded)"
            )
        return (
            "unified in every load order of the set: the DSOs holding the other copies are "
            "loaded only as dependencies, and every lookup scope that reaches them finds "
            "the same copy first (a host that loads one of them on its own splits them)"
        )
    assert v.split is not None
    (o1, c1, k1), (o2, c2, k2) = v.split
    if len(v.order) > 1:
        loaded = f"loading {short[v.order[0]]}, then {short[v.order[1]]} (RTLD_LOCAL)"
    else:
        loaded = f"loading {short[v.order[0]]}"

    def uses(obs: int, copy: int | None, kind: str) -> str:
        if kind == "hidden" or copy is None:
            return f"{short[obs]} uses its own hidden copy"
        if copy == obs:
            return f"{short[obs]} uses its own copy"
        return f"{short[obs]} uses the copy in {short[copy]}"

    if k1 == k2 and (c1, c2) == (o1, o2):
        own = "hidden copy" if k1 == "hidden" else "copy"
        usage = f"{short[o1]} and {short[o2]} each use their own {own}"
    else:
        usage = f"{uses(o1, c1, k1)} and {uses(o2, c2, k2)}"
    kind_of = {c.dso: c.kind for c in dup.copies}
    bound_kinds = {kind_of.get(c) for c in (c1, c2) if c is not None}
    if "hidden" in (k1, k2):
        why = "hidden copies are never unified"
    elif "STB_GNU_UNIQUE" in bound_kinds:
        other = next(
            (c for c in (c1, c2) if c is not None and kind_of.get(c) != "STB_GNU_UNIQUE"), None
        )
        why = "glibc unifies only STB_GNU_UNIQUE definitions"
        if other is not None:
            why += f", and the copy in {short[other]} is {kind_of.get(other)}"
    else:
        why = "RTLD_LOCAL keeps the definitions of separately loaded DSOs apart"
    if "hidden" in (k1, k2):
        return f"not unified: in any process that loads both, {usage} ({why})"
    text = f"not unified: {loaded}, {usage} ({why})"
    if len(v.order) > 1 and v.unified_alone:
        alone = ", ".join(short[r] for r in v.unified_alone)
        text += (
            f"; {alone} loaded alone gives one copy, as a DSO's lookup scope starts with "
            "itself and then its dependencies"
        )
    return text


def _duplicates(graph: LoadGraph) -> list[Duplicate]:
    copies: dict[str, list[Copy]] = {}
    for i, d in enumerate(graph.dsos):
        for name, (binding, typ, vis) in d.exports.items():
            if is_identity(name, typ):
                kind: CopyKind = binding  # type: ignore[assignment]
                if binding not in ("STB_GLOBAL", "STB_WEAK", "STB_GNU_UNIQUE"):
                    continue
                copies.setdefault(name, []).append(Copy(i, kind, vis))
        for name in d.hidden:
            copies.setdefault(name, []).append(Copy(i, "hidden", "STV_HIDDEN"))
    copies = {n: g for n, g in copies.items() if len(g) > 1}
    importers: dict[str, set[int]] = {}
    for i, d in enumerate(graph.dsos):
        for name in d.imports.intersection(copies):
            importers.setdefault(name, set()).add(i)
    out: list[Duplicate] = []
    for name in sorted(copies):
        group = copies[name]
        holders = {c.dso for c in group}
        observers = sorted(holders | importers.get(name, set()))
        verdict = simulate(graph, name, group, observers)
        out.append(Duplicate(name, tuple(group), tuple(observers), verdict))
    return out


def _provider(graph: LoadGraph, importer: int, name: str) -> int | None:
    for cand in graph.scope(importer)[1:]:
        if name in graph.dsos[cand].exports:
            return cand
    return None


def _cross_dso(
    graph: LoadGraph,
    defined_in: dict[str, set[int]],
    declared: set[str],
) -> list[Finding]:
    dsos = graph.dsos
    crossings: list[tuple[int, str, int]] = []
    for i, d in enumerate(dsos):
        for name in sorted(n for n in d.imports if is_mangled(n)):
            src = _provider(graph, i, name)
            if src is None:
                continue
            binding, typ, _vis = dsos[src].exports[name]
            identity = typ in ("STT_OBJECT", "STT_TLS") or name.startswith(("_ZTI", "_ZTV"))
            if identity and defined_in.get(name) == {src}:
                continue  # an identity anchored in one DSO: the cure, not the disease
            crossings.append((i, name, src))
    names = _Names(name for _i, name, _src in crossings)
    out: list[Finding] = []
    for i, name, src in crossings:
        binding, typ, _vis = dsos[src].exports[name]
        what = "function" if typ in ("STT_FUNC", "STT_GNU_IFUNC") else "symbol"
        is_declared = name in declared
        out.append(
            Finding(
                "cxx-cross-dso",
                f"{graph.short[i]} imports the C++ {what} {names.pretty(name)} from "
                f"{graph.short[src]} ({binding}); only C APIs should cross DSO boundaries"
                + (" (it is a declared export of the manifest)" if is_declared else ""),
                "warning" if is_declared else "error",
                None,
                dsos[i].name,
                name,
                f'export an extern "C" function from {graph.short[src]} instead, or move '
                f"the code that uses it into {graph.short[src]}",
            )
        )
    return out


def _library_findings(
    library: Library, graph: LoadGraph, *, named: bool
) -> tuple[list[Finding], set[str]]:
    """Each export of ``library`` defined in exactly one DSO; also the matched names."""
    entries = list(library.entries_for("linux"))
    if library.has_registration:
        loc = library.location
        reg = library.registration
        entries += [
            ExportEntry(reg.init, "optional", loc),
            ExportEntry(reg.destroy, "optional", loc),
        ]
    index = PatternIndex(entries)
    where: dict[str, list[int]] = {}
    entry_of: dict[str, ExportEntry] = {}
    for i, d in enumerate(graph.dsos):
        for name, entry in index.match_names(d.exports).items():
            where.setdefault(name, []).append(i)
            entry_of[name] = entry
    out: list[Finding] = []
    names = _Names(n for n in where if len(where[n]) > 1)
    for name in sorted(where):
        holders = where[name]
        if len(holders) < 2:
            continue
        held = [graph.short[h] for h in holders]
        listed = " and ".join(held) if len(held) == 2 else ", ".join(held)
        out.append(
            Finding(
                "duplicate-definition",
                f"{names.pretty(name)}, an export of library {library.name!r}, is defined in "
                f"{listed}; each export must be defined in exactly one DSO of the set",
                "error",
                entry_of[name].location,
                graph.dsos[holders[0]].name,
                name,
                f"build {library.name} as one shared library that the others link "
                "(drop the static copies, or hide them with -Wl,--exclude-libs,ALL)",
            )
        )
    if where or named:
        for entry in index.unmatched():
            if entry.is_optional or entry.is_pattern:
                continue
            out.append(
                Finding(
                    "missing-export",
                    f"{entry.text}, an export of library {library.name!r}, is defined in no "
                    "DSO of the set",
                    "error",
                    entry.location,
                    None,
                    entry.text,
                    "ship the DSO that defines it, or move it under `optional`",
                )
            )
    return out, set(where)


def _duplicate_findings(dups: list[Duplicate], graph: LoadGraph, names: _Names) -> list[Finding]:
    out: list[Finding] = []
    dsos = graph.dsos
    for dup in dups:
        kinds = {c.kind for c in dup.copies}
        all_hidden = kinds == {"hidden"}
        if all_hidden and names.private_by_design(dup.name):
            continue
        held = [_copy_text(graph.short[c.dso], c) for c in dup.copies]
        listed = " and ".join(held) if len(held) == 2 else ", ".join(held)
        severity: Literal["error", "warning"] = (
            "warning" if dup.verdict.unified or all_hidden else "error"
        )
        hint = _anchor_text(dup, graph, all_hidden=all_hidden)
        out.append(
            Finding(
                "duplicate-definition",
                f"{names.pretty(dup.name)} is defined in {listed}: {_verdict_text(dup, graph)}",
                severity,
                None,
                dsos[dup.copies[0].dso].name,
                dup.name,
                hint,
            )
        )
    return out


def _anchor_text(dup: Duplicate, graph: LoadGraph, *, all_hidden: bool) -> str:
    """The one-line fix: anchor the identity in the library the others depend on."""
    holders = {c.dso for c in dup.copies}
    libs = [i for i in sorted(holders) if i in graph.libraries]
    where = graph.short[libs[0]] if libs else "one shared library that the others link"
    fix = (
        f"anchor it in {where}: one strong, exported definition there (a key function, an "
        "explicit specialization or an out-of-line variable), an extern declaration elsewhere"
    )
    if all_hidden:
        return f"if these DSOs compare this identity with each other, {fix}; if not, all is well"
    return f"{fix}; or keep every use of it inside one DSO and let only C APIs cross"


def analyze(
    paths: Iterable[str | Path],
    *,
    manifest: Manifest | None = None,
    libraries: Sequence[str] = (),
) -> Audit:
    """Audit the DSOs of ``paths``; ``manifest`` adds the one-DSO-per-export rule."""
    with tempfile.TemporaryDirectory(prefix="visgen-audit-") as scratch:
        dsos = collect(paths, Path(scratch))
    groups: dict[tuple[int, int, str], list[Dso]] = {}
    for d in dsos:
        groups.setdefault(d.machine, []).append(d)
    graphs = tuple(LoadGraph(g) for g in groups.values())
    selected: list[Library] = []
    if manifest is not None:
        selected = (
            [manifest.library(n) for n in libraries] if libraries else list(manifest.libraries)
        )
    findings: list[Finding] = []
    duplicates: list[Duplicate] = []
    for graph in graphs:
        declared: set[str] = set()
        for lib in selected:
            lib_findings, matched = _library_findings(lib, graph, named=bool(libraries))
            findings.extend(lib_findings)
            declared |= matched
        dups = _duplicates(graph)
        duplicates.extend(dups)
        defined_in: dict[str, set[int]] = {}
        for i, d in enumerate(graph.dsos):
            for n in d.exports:
                if is_mangled(n):
                    defined_in.setdefault(n, set()).add(i)
            for n in d.hidden:
                defined_in.setdefault(n, set()).add(i)
        names = _Names(dup.name for dup in dups)
        findings.extend(_duplicate_findings(dups, graph, names))
        findings.extend(_cross_dso(graph, defined_in, declared))
    return Audit(tuple(dsos), graphs, duplicates, findings)


def audit_paths(
    paths: Iterable[str | Path],
    *,
    manifest: Manifest | None = None,
    libraries: Sequence[str] = (),
) -> list[Finding]:
    """The findings of ``visgen audit`` for ``paths`` (files, folders, wheels)."""
    return analyze(paths, manifest=manifest, libraries=libraries).findings
