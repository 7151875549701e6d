"""All ELF reading of visgen: exported symbols, versions, ``.symtab``, ``.dynamic``, archives.

Why two readers. Measured on libLLVM-14 (110 MB, 44,459 exported symbols), a
per-symbol loop over pyelftools is 23 times slower than ``nm -D --defined-only``, and
importing pyelftools alone costs 45-65 ms. ``visgen check`` runs after every link, so the
symbol tables (``.dynsym``/``.symtab`` with their string tables, ``.gnu.version``,
``.gnu.version_d`` and ``.gnu.version_r``) are decoded here in bulk with :mod:`struct`
over an :mod:`mmap` of the file, touching only the pages of those sections. pyelftools
earns its place where speed does not matter and its breadth does: ``.dynamic``
(``DT_NEEDED``, ``DT_SONAME``, ``DT_RPATH``, ``DT_RUNPATH``), files without section
headers (symbols found through ``PT_DYNAMIC``), and as the reference the tests compare
the fast reader against.

Every malformed input (not ELF, truncated, offsets or string indexes out of range)
raises :class:`~visgen.errors.BinaryError` with one line naming the file and the
problem; the public functions are the only boundary where lower-level exceptions are
caught.

Example::

    image = read_symbols("libasyncrt.so")
    for sym in image.exported():
        print(sym.name, sym.version, sym.binding)

Naming conventions follow pyelftools and the ELF specification: ``STB_*`` bindings,
``STT_*`` types, ``STV_*`` visibilities, ``SHN_*`` section indexes; a *version node*
(``ASYNCRT_1.0``) is a ``Verdef`` entry; ``version_hidden`` is True for ``name@NODE``
(a non-default version) and False for ``name@@NODE``.
"""

from __future__ import annotations

import array
import collections
import contextlib
import itertools
import mmap
import operator
import struct
import sys

from visgen._pages import forget
from visgen.errors import BinaryError

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# check (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path
    from typing import Any, NamedTuple
else:
    from collections import namedtuple

    class _NamedTupleMeta(type):
        """``typing.NamedTuple``'s class syntax, without its check of each annotation:
        under ``from __future__ import annotations`` every annotation is a string that
        it compiles into a ``ForwardRef``, which costs each ``visgen`` command about
        5 ms for this module's records. The classes made are the same ``namedtuple``
        classes (fields, defaults, methods, docstrings, ``__annotations__``)."""

        _PROHIBITED = frozenset(
            (
                "__new__",
                "__init__",
                "__slots__",
                "__getnewargs__",
                "_fields",
                "_field_defaults",
                "_make",
                "_replace",
                "_asdict",
                "_source",
            )
        )

        def __new__(mcs, typename: str, bases: tuple[type, ...], ns: dict[str, Any]) -> type:
            if not bases:  # the base class itself
                return super().__new__(mcs, typename, bases, ns)
            annotations = ns.get("__annotations__", {})
            fields = list(annotations)
            cls = namedtuple(  # noqa: PYI024 (the point of this class)
                typename,
                fields,
                defaults=[ns[f] for f in fields if f in ns],
                module=ns["__module__"],
            )
            cls.__annotations__ = cls.__new__.__annotations__ = dict(annotations)
            for key, value in ns.items():
                if key in mcs._PROHIBITED:
                    msg = f"cannot overwrite NamedTuple attribute {key}"
                    raise AttributeError(msg)
                if key not in ("__module__", "__annotations__") and key not in cls._fields:
                    setattr(cls, key, value)
            return cls

    class NamedTuple(metaclass=_NamedTupleMeta):
        """Base of the records below (see :class:`_NamedTupleMeta`)."""


__all__ = [
    "SHN_ABS",
    "SHN_COMMON",
    "SHN_UNDEF",
    "ArchiveMember",
    "DynamicInfo",
    "ElfImage",
    "ElfSymbol",
    "ExportSet",
    "Exports",
    "SymbolTable",
    "VersionDef",
    "VersionNeed",
    "is_archive",
    "is_elf",
    "read_archive",
    "read_dynamic",
    "read_export_set",
    "read_exports",
    "read_symbols",
]


def __dir__() -> list[str]:
    return list(__all__)


SHN_UNDEF = 0
SHN_ABS = 0xFFF1
SHN_COMMON = 0xFFF2
SHN_XINDEX = 0xFFFF
SHN_LORESERVE = 0xFF00

SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_NOBITS = 8
SHT_DYNSYM = 11
SHT_GNU_VERDEF = 0x6FFFFFFD
SHT_GNU_VERNEED = 0x6FFFFFFE
SHT_GNU_VERSYM = 0x6FFFFFFF

VER_FLG_BASE = 1
ET_NAMES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}

_BIND = {0: "STB_LOCAL", 1: "STB_GLOBAL", 2: "STB_WEAK", 10: "STB_GNU_UNIQUE"}
_TYPE = {
    0: "STT_NOTYPE",
    1: "STT_OBJECT",
    2: "STT_FUNC",
    3: "STT_SECTION",
    4: "STT_FILE",
    5: "STT_COMMON",
    6: "STT_TLS",
    10: "STT_GNU_IFUNC",
}
_VIS = ("STV_DEFAULT", "STV_INTERNAL", "STV_HIDDEN", "STV_PROTECTED")
_VISIBLE = frozenset(("STV_DEFAULT", "STV_PROTECTED"))
_BIND_BY_INFO = tuple(_BIND.get(i >> 4) or f"STB_{i >> 4}" for i in range(256))
_TYPE_BY_INFO = tuple(_TYPE.get(i & 0xF) or f"STT_{i & 0xF}" for i in range(256))
_VIS_BY_OTHER = tuple(_VIS[i & 3] for i in range(256))


_NOT_LOCAL = bytes(int(i >> 4 != 0) for i in range(256))
_VISIBLE_OTHER = bytes(int(i & 3 in (0, 3)) for i in range(256))
_NONZERO = bytes(int(i != 0) for i in range(256))
_WEAK_OR_UNIQUE = bytes(int(i >> 4 in (2, 10)) for i in range(256))
"""``bytes.translate`` tables: one byte per ``st_info``/``st_other``/``st_shndx`` byte,
1 where the symbol may be exported on that count."""


class ElfSymbol(NamedTuple):
    """One symbol table entry, decoded. ``version`` is None when unversioned."""

    name: str
    binding: str
    type: str
    visibility: str
    shndx: int
    value: int
    size: int
    version: str | None = None
    version_hidden: bool = False

    @property
    def defined(self) -> bool:
        return self.shndx != SHN_UNDEF

    @property
    def exported(self) -> bool:
        """Defined, global or weak (or unique), and visible to other modules."""
        return (
            self.shndx != SHN_UNDEF
            and self.binding != "STB_LOCAL"
            and self.visibility in ("STV_DEFAULT", "STV_PROTECTED")
        )

    @property
    def is_version_marker(self) -> bool:
        """The ``SHN_ABS`` symbol a linker adds for each version node it defines."""
        return self.shndx == SHN_ABS and self.name == self.version

    @property
    def versioned_name(self) -> str:
        """``name@@NODE``, ``name@NODE`` or ``name``, as ``nm -D`` prints it."""
        if self.version is None or self.is_version_marker:
            return self.name
        return f"{self.name}{'@' if self.version_hidden else '@@'}{self.version}"


def _names_at(strtab: memoryview, offsets: Sequence[int], what: str) -> list[str]:
    """:func:`_names` for some of a table's offsets: each name sliced out of the decoded
    table (no split of the whole table, no dict of every string in it)."""
    try:
        text = str(strtab, "ascii")
    except UnicodeDecodeError:
        return _names(strtab.tobytes(), offsets, what)
    return _strings_at(text, offsets, what)


def _names(strtab: bytes, offsets: Sequence[int], what: str) -> list[str]:
    """Names for string-table offsets: one split of the table, then dict look-ups.

    Linkers merge string tails (``bar`` may point into ``foobar``), so an offset that is
    not the start of a string falls back to a search for its terminator.
    """
    if strtab.isascii():
        text = strtab.decode("ascii")
    else:
        text = strtab.decode("utf-8", "surrogateescape")
        if len(text) != len(strtab):
            return [_cstring_bytes(strtab, o, what) for o in offsets]
    parts = text.split("\0")
    cum = itertools.accumulate(map(len, parts), initial=0)
    starts = map(operator.add, cum, itertools.count())
    by_start = dict(zip(starts, parts, strict=False))
    if text and not text.endswith("\0"):
        by_start.pop(len(text) - len(parts[-1]), None)
    out = list(map(by_start.get, offsets))
    if None in out:
        for k, name in enumerate(out):
            if name is None:
                out[k] = _cstring(text, offsets[k], what)
    return out  # type: ignore[return-value]


def _cstring(text: str, o: int, what: str) -> str:
    """The string at offset ``o`` of a decoded string table."""
    end = text.find("\0", o) if o < len(text) else -1
    if end < 0:
        msg = f"{what}: string index {o} is outside its string table"
        raise _MalformedError(msg)
    return text[o:end]


def _strings_at(text: str, offsets: Sequence[int], what: str) -> list[str]:
    """The strings at ``offsets`` of a decoded string table, in order (one search for
    each terminator, in C); the offset just past a final NUL is the empty name, as in
    :func:`_names`, and one outside the table an error."""
    ends = list(map(text.find, itertools.repeat("\0"), offsets))
    names = list(map(text.__getitem__, map(slice, offsets, ends)))
    if -1 in ends:
        for k in [k for k, end in enumerate(ends) if end < 0]:
            names[k] = _cstring_or_end(text, offsets[k], what)
    return names


def _names_in(holder: list[str], offsets: Sequence[int], what: str) -> list[str]:
    """The strings at ``offsets`` of a decoded string table, each once (a string the
    table stores twice, which no linker writes, is listed twice), as a set of names
    rather than row by row: one split of the table, then the strings that start
    at one of the offsets. An offset inside a string (linkers merge string tails:
    ``bar`` may point into ``foobar``) is looked up on its own, as is the offset just
    past the final NUL, which :func:`read_exports` reads as the empty name too.

    The table comes in ``holder`` (a list of one string, emptied here), so that the
    caller holds no reference to it: it is freed once split, which lowers the peak
    memory of a large check by its size (3 MB for libLLVM); the set of offsets is made
    after the split for the same reason."""
    parts = holder.pop().split("\0")
    last = parts.pop()  # after the last NUL: "" for a well-formed table, else unterminated
    wanted = set(offsets)

    def starts() -> Iterator[int]:
        cum = itertools.accumulate(map(len, parts), initial=0)
        return itertools.islice(map(operator.add, cum, itertools.count()), len(parts))

    keep = bytes(map(wanted.__contains__, starts()))
    names = list(itertools.compress(parts, keep))
    if len(names) < len(wanted):
        inside = sorted(wanted.difference(itertools.compress(starts(), keep)))
        text = "\0".join([*parts, last])
        names.extend(_cstring_or_end(text, o, what) for o in inside)
    return names


def _cstring_or_end(text: str, o: int, what: str) -> str:
    """:func:`_cstring`, with the empty name at the very end of a table that ends with a
    NUL (where :func:`read_exports` finds one)."""
    if o == len(text) and text.endswith("\0"):
        return ""
    return _cstring(text, o, what)


def _cstring_bytes(strtab: bytes, o: int, what: str) -> str:
    """:func:`_cstring` for a string table not decoded (not ASCII, or a few look-ups)."""
    end = strtab.find(b"\0", o) if o < len(strtab) else -1
    if end < 0:
        msg = f"{what}: string index {o} is outside its string table"
        raise _MalformedError(msg)
    return strtab[o:end].decode("utf-8", "surrogateescape")


class SymbolTable(NamedTuple):
    """A symbol table decoded column by column (entry 0, the null symbol, left out).

    :meth:`symbol` and :meth:`symbols` give :class:`ElfSymbol` records; the columns serve
    the bulk paths (``names``, :meth:`exported_indices`) without building 45,000 records.
    """

    names: tuple[str, ...]
    bindings: tuple[str, ...]
    types: tuple[str, ...]
    visibilities: tuple[str, ...]
    shndx: tuple[int, ...]
    values: tuple[int, ...]
    sizes: tuple[int, ...]
    versions: tuple[str | None, ...]
    version_hidden: tuple[bool, ...]

    @classmethod
    def empty(cls) -> SymbolTable:
        return cls((), (), (), (), (), (), (), (), ())

    @classmethod
    def from_symbols(cls, syms: list[ElfSymbol]) -> SymbolTable:
        if not syms:
            return cls.empty()
        return cls(*(tuple(col) for col in zip(*syms, strict=True)))

    @property
    def length(self) -> int:
        """The number of symbols (the null entry 0 not counted)."""
        return len(self.names)

    def symbol(self, i: int) -> ElfSymbol:
        return ElfSymbol(
            self.names[i],
            self.bindings[i],
            self.types[i],
            self.visibilities[i],
            self.shndx[i],
            self.values[i],
            self.sizes[i],
            self.versions[i],
            self.version_hidden[i],
        )

    def symbols(self) -> Iterator[ElfSymbol]:
        return map(
            ElfSymbol,
            self.names,
            self.bindings,
            self.types,
            self.visibilities,
            self.shndx,
            self.values,
            self.sizes,
            self.versions,
            self.version_hidden,
        )

    def exported_indices(self) -> list[int]:
        """Indexes of the defined, non-local, default- or protected-visibility symbols."""
        return [
            i
            for i, (b, v, x) in enumerate(
                zip(self.bindings, self.visibilities, self.shndx, strict=True)
            )
            if x != SHN_UNDEF and b != "STB_LOCAL" and v in _VISIBLE
        ]

    def exported(self) -> list[ElfSymbol]:
        return [self.symbol(i) for i in self.exported_indices()]

    def by_name(self) -> dict[str, ElfSymbol]:
        """Name to symbol; for a name listed twice, the last (usually the global) wins."""
        return {s.name: s for s in self.symbols()}


class VersionDef(NamedTuple):
    """A version node the binary defines (``.gnu.version_d``), in definition order."""

    ndx: int
    """The ``vd_ndx`` that ``.gnu.version`` entries refer to."""
    name: str
    flags: int
    parents: tuple[str, ...] = ()

    @property
    def is_base(self) -> bool:
        """The base definition, named after the file's soname; not a real node."""
        return bool(self.flags & VER_FLG_BASE)


class VersionNeed(NamedTuple):
    """The versions the binary needs from one library (``.gnu.version_r``)."""

    file: str
    names: tuple[str, ...]


class ElfImage(NamedTuple):
    """What :func:`read_symbols` found in one ELF file (or archive member)."""

    path: str
    bits: int
    byteorder: str
    machine: int
    elf_type: str
    dynsym: SymbolTable
    symtab: SymbolTable | None
    version_defs: tuple[VersionDef, ...] = ()
    version_needs: tuple[VersionNeed, ...] = ()

    def exported(self) -> list[ElfSymbol]:
        """The exported dynamic symbols, in table order."""
        return self.dynsym.exported()

    @property
    def has_symtab(self) -> bool:
        return self.symtab is not None

    @property
    def nodes(self) -> tuple[VersionDef, ...]:
        """The version nodes, without the base definition, in definition order."""
        return tuple(v for v in self.version_defs if not v.is_base)


class Exports(NamedTuple):
    """The exported dynamic symbols of a file, column by column, in ``.dynsym`` order:
    what :func:`read_exports` gives ``visgen check`` without decoding the columns (values,
    sizes, visibilities) and the symbols (undefined, local, hidden) it does not use.

    Row ``i`` of every column is one symbol that :attr:`ElfSymbol.exported` accepts; the
    version-node markers are included (``shndx`` tells them apart).
    """

    path: str
    machine: int
    version_defs: tuple[VersionDef, ...]
    names: list[str]
    bindings: list[str]
    types: list[str]
    shndx: list[int]
    versions: list[str | None]
    version_hidden: list[bool]

    @property
    def nodes(self) -> tuple[VersionDef, ...]:
        """The version nodes, without the base definition, in definition order."""
        return tuple(v for v in self.version_defs if not v.is_base)


class ExportSet(NamedTuple):
    """The exported dynamic symbols of a file as a set of names: what
    :func:`read_export_set` gives ``visgen check`` when it needs no row-by-row view.

    ``names`` holds each exported name once (twice if the string table stores it
    twice, which no linker does), in no particular order, without the version-node
    markers; ``versions`` the distinct ``(version, version_hidden)`` pairs
    of those symbols (``(None, False)`` for unversioned ones); ``weak`` (when asked
    for) ``(name, binding, type)`` of each exported ``STB_WEAK`` or ``STB_GNU_UNIQUE``
    symbol.
    """

    machine: int
    names: list[str]
    versions: frozenset[tuple[str | None, bool]]
    weak: list[tuple[str, str, str]] | None


class DynamicInfo(NamedTuple):
    """The ``.dynamic`` entries the checks and the audit need."""

    soname: str | None
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]


class ArchiveMember(NamedTuple):
    """One ELF object of an ``ar`` archive."""

    name: str
    image: ElfImage


_Versions = tuple[list[str | None], list[bool]]


class _MalformedError(Exception):
    """Raised inside the reader; turned into BinaryError with the path at the boundary."""


class _Section(NamedTuple):
    name: int
    type: int
    offset: int
    size: int
    link: int
    info: int
    entsize: int


class _Reader:
    """Decodes one ELF image held in ``buf[base:base + length]``."""

    def __init__(self, buf: mmap.mmap | bytes, base: int, length: int) -> None:
        self.buf = buf
        self.base = base
        self.length = length
        ident = self._raw(0, 16)
        if ident[:4] != b"\x7fELF":
            msg = "not an ELF file (bad magic)"
            raise _MalformedError(msg)
        if ident[4] not in (1, 2):
            msg = f"bad ELF class {ident[4]}"
            raise _MalformedError(msg)
        if ident[5] not in (1, 2):
            msg = f"bad ELF data encoding {ident[5]}"
            raise _MalformedError(msg)
        self.bits = 32 if ident[4] == 1 else 64
        self.e = "<" if ident[5] == 1 else ">"
        e = self.e
        if self.bits == 64:
            hdr = struct.unpack(e + "HHIQQQIHHHHHH", self._raw(16, 48))
        else:
            hdr = struct.unpack(e + "HHIIIIIHHHHHH", self._raw(16, 36))
        (self.e_type, self.machine, _v, _entry, _phoff, shoff, _flags, _ehsize) = hdr[:8]
        _phentsize, _phnum, shentsize, shnum, shstrndx = hdr[8:]
        self.sections: list[_Section] = []
        self.need_index: dict[int, str] = {}
        if shoff == 0:
            return
        want = 64 if self.bits == 64 else 40
        if shentsize != want:
            msg = f"bad section header size {shentsize} (expected {want})"
            raise _MalformedError(msg)
        first = self._section(shoff, 0)
        if shnum == 0:
            shnum = first.size
        if shstrndx == SHN_XINDEX:
            shstrndx = first.link
        if shnum > self.length // want:
            msg = f"section header count {shnum} exceeds the file size"
            raise _MalformedError(msg)
        self._check(shoff, shnum * want, "section header table")
        self.sections = [self._section(shoff, i) for i in range(shnum)]
        self.shstrndx = shstrndx

    # -- raw access ------------------------------------------------------------------
    def _check(self, offset: int, size: int, what: str) -> None:
        if offset < 0 or size < 0 or offset + size > self.length:
            msg = f"{what} at offset {offset:#x} (size {size}) lies beyond the end of the file"
            raise _MalformedError(msg)

    def _raw(self, offset: int, size: int, what: str = "ELF header") -> bytes:
        self._check(offset, size, what)
        start = self.base + offset
        return bytes(self.buf[start : start + size])

    def _section(self, shoff: int, i: int) -> _Section:
        if self.bits == 64:
            size = 64
            f = struct.unpack(
                self.e + "IIQQQQIIQQ", self._raw(shoff + i * size, size, "section header")
            )
        else:
            size = 40
            f = struct.unpack(
                self.e + "IIIIIIIIII", self._raw(shoff + i * size, size, "section header")
            )
        return _Section(f[0], f[1], f[4], f[5], f[6], f[7], f[9])

    def _data(self, sec: _Section, what: str) -> bytes:
        if sec.type == SHT_NOBITS:
            return b""
        return self._raw(sec.offset, sec.size, what)

    def _linked(self, sec: _Section, what: str) -> _Section:
        if not 0 < sec.link < len(self.sections):
            msg = f"{what} links to section {sec.link}, which does not exist"
            raise _MalformedError(msg)
        return self.sections[sec.link]

    # -- symbols ---------------------------------------------------------------------
    def find(self, sh_type: int) -> _Section | None:
        for sec in self.sections:
            if sec.type == sh_type:
                return sec
        return None

    def symbols(self, sec: _Section, what: str, versions: _Versions | None = None) -> SymbolTable:
        strsec = self._linked(sec, what)
        strtab = self._data(strsec, f"string table of {what}")
        data = self._data(sec, what)
        entsize = 24 if self.bits == 64 else 16
        if sec.entsize not in (0, entsize):
            msg = f"{what} has entry size {sec.entsize} (expected {entsize})"
            raise _MalformedError(msg)
        count = len(data) // entsize
        if count <= 1:
            return SymbolTable.empty()
        body = data[entsize : count * entsize]
        swap = (self.e == "<") != (sys.byteorder == "little")
        w32 = array.array("I", body)
        if swap:
            w32.byteswap()
        w16 = array.array("H", body)
        if swap:
            w16.byteswap()
        st_name = w32[0 :: entsize // 4].tolist()
        if self.bits == 64:
            info, other = body[4::24], body[5::24]
            shndx = tuple(w16[3::12])
            w64 = array.array("Q", body)
            if swap:
                w64.byteswap()
            value, size = tuple(w64[1::3]), tuple(w64[2::3])
        else:
            info, other = body[12::16], body[13::16]
            shndx = tuple(w16[7::8])
            value, size = tuple(w32[1::4]), tuple(w32[2::4])
        names = _names(strtab, st_name, what)
        binds = tuple(map(_BIND_BY_INFO.__getitem__, info))
        types = tuple(map(_TYPE_BY_INFO.__getitem__, info))
        vis = tuple(map(_VIS_BY_OTHER.__getitem__, other))
        if versions is not None:
            pad = max(0, count - len(versions[0]))
            ver = tuple(versions[0][1:count]) + (None,) * pad
            hid = tuple(versions[1][1:count]) + (False,) * pad
        else:
            ver = (None,) * (count - 1)
            hid = (False,) * (count - 1)
        return SymbolTable(tuple(names), binds, types, vis, shndx, value, size, ver, hid)

    def _view(self, sec: _Section, what: str) -> memoryview:
        """The bytes of ``sec`` without a copy (callers drop the view before the file
        is closed)."""
        if sec.type == SHT_NOBITS:
            return memoryview(b"")
        self._check(sec.offset, sec.size, what)
        start = self.base + sec.offset
        return memoryview(self.buf)[start : start + sec.size]

    def _exported_rows(
        self, sec: _Section, what: str
    ) -> tuple[int, bytes, array.array[int], list[int], bytes] | None:
        """The exported rows of the symbol table ``sec``, chosen from the raw
        ``st_info``, ``st_other`` and ``st_shndx`` bytes in bulk, read through views of
        the mapped file rather than copies of its sections: ``(count, mask, st_name,
        st_shndx, st_info)``, where ``count`` is the table's row count (the null symbol
        included), ``mask`` one byte per row after the null symbol (1: exported) and the
        other three the exported rows' fields. None for a table without symbols."""
        entsize = 24 if self.bits == 64 else 16
        if sec.entsize not in (0, entsize):
            msg = f"{what} has entry size {sec.entsize} (expected {entsize})"
            raise _MalformedError(msg)
        view = self._view(sec, what)
        count = len(view) // entsize
        if count <= 1:
            return None
        body = view[entsize : count * entsize]
        n = count - 1
        at_info, at_shndx = (4, 6) if self.bits == 64 else (12, 14)
        info = body[at_info::entsize].tobytes()
        other = body[at_info + 1 :: entsize].tobytes()
        lo = body[at_shndx::entsize].tobytes()
        hi = body[at_shndx + 1 :: entsize].tobytes()
        # one byte per symbol, 1 where it is exported: not STB_LOCAL, STV_DEFAULT or
        # STV_PROTECTED, and defined (st_shndx != SHN_UNDEF); ANDed as big integers
        keep = (
            int.from_bytes(info.translate(_NOT_LOCAL))
            & int.from_bytes(other.translate(_VISIBLE_OTHER))
            & (int.from_bytes(lo.translate(_NONZERO)) | int.from_bytes(hi.translate(_NONZERO)))
        )
        mask = keep.to_bytes(n)
        del other, lo, hi
        # st_name in an array, not a list: 44,000 int objects are 1.5 MB of a check's peak
        if (self.e == "<") == (sys.byteorder == "little"):
            words = body.cast("I")
            st_name = array.array("I", itertools.compress(words[0 :: entsize // 4], mask))
            halves = body.cast("H")
            shndx = list(itertools.compress(halves[at_shndx // 2 :: entsize // 2], mask))
            del words, halves
        else:
            w32 = array.array("I", body.tobytes())
            w32.byteswap()
            st_name = array.array("I", itertools.compress(w32[0 :: entsize // 4], mask))
            w16 = array.array("H", body.tobytes())
            w16.byteswap()
            shndx = list(itertools.compress(w16[at_shndx // 2 :: entsize // 2], mask))
            del w32, w16
        del body, view
        return count, mask, st_name, shndx, bytes(itertools.compress(info, mask))

    def exports(
        self, sec: _Section, what: str, versions: _Versions | None
    ) -> tuple[list[str], list[str], list[str], list[int], list[str | None], list[bool]]:
        """The columns of :class:`Exports`: the exported rows of ``sec``."""
        strsec = self._linked(sec, what)
        rows = self._exported_rows(sec, what)
        if rows is None:
            return [], [], [], [], [], []
        count, mask, st_name, shndx, info_kept = rows
        binds = list(map(_BIND_BY_INFO.__getitem__, info_kept))
        types = list(map(_TYPE_BY_INFO.__getitem__, info_kept))
        strtab = self._view(strsec, f"string table of {what}")
        try:
            names = _names_at(strtab, st_name, what)
        finally:
            strtab.release()
        if versions is not None:
            pad = max(0, count - len(versions[0]))
            ver = list(
                itertools.compress(itertools.chain(versions[0][1:count], (None,) * pad), mask)
            )
            hid = list(
                itertools.compress(itertools.chain(versions[1][1:count], (False,) * pad), mask)
            )
        else:
            ver = [None] * len(names)
            hid = [False] * len(names)
        return names, binds, types, shndx, ver, hid

    def export_set(self, sec: _Section, what: str, *, weak: bool) -> ExportSet | None:
        """:class:`ExportSet` of the symbol table ``sec`` (see :func:`read_export_set`);
        None where it does not apply (a string table that is not ASCII)."""
        # the version sections first, as read_exports reads them (the same error first)
        defs = self.version_defs()
        self.version_needs()
        strsec = self._linked(sec, what)
        rows = self._exported_rows(sec, what)
        if rows is None:
            return ExportSet(self.machine, [], frozenset(), [] if weak else None)
        count, mask, st_name, shndx, info_kept = rows
        self._forget(sec)
        strtab = self._view(strsec, f"string table of {what}")
        try:
            text = str(strtab, "ascii")
        except UnicodeDecodeError:
            return None
        finally:
            strtab.release()
        self._forget(strsec)
        version_of = self._version_namer(defs)
        raw = self._raw_versions(count)
        versions: frozenset[tuple[str | None, bool]] = frozenset()
        if raw is None:
            versions = frozenset(((None, False),)) if st_name else frozenset()
        else:
            pad = itertools.repeat(0, count - len(raw))
            # the distinct entries, counted (a marker's own version may have no symbol)
            tally = collections.Counter(
                itertools.compress(itertools.chain(raw[1:count], pad), mask)
            )
            # version-node markers: SHN_ABS rows named after the version they carry (few)
            markers: list[int] = []
            if SHN_ABS in shndx:
                at = -1
                with contextlib.suppress(ValueError):
                    while True:
                        at = shndx.index(SHN_ABS, at + 1)
                        # the row of the at-th exported symbol (no list of every row)
                        row = next(
                            itertools.islice(itertools.compress(itertools.count(1), mask), at, None)
                        )
                        r = raw[row] if row < len(raw) else 0
                        if _cstring(text, st_name[at], what) == version_of(r)[0]:
                            markers.append(at)
                            tally[r] -= 1
            for k in reversed(markers):
                del st_name[k]
                info_kept = info_kept[:k] + info_kept[k + 1 :]
            versions = frozenset(version_of(r) for r, n in tally.items() if n > 0)
        weak_rows: list[tuple[str, str, str]] | None = None
        if weak:
            picked = list(
                itertools.compress(range(len(st_name)), info_kept.translate(_WEAK_OR_UNIQUE))
            )
            infos = bytes(map(info_kept.__getitem__, picked))
            weak_rows = list(
                zip(
                    _strings_at(text, list(map(st_name.__getitem__, picked)), what),
                    map(_BIND_BY_INFO.__getitem__, infos),
                    map(_TYPE_BY_INFO.__getitem__, infos),
                    strict=True,
                )
            )
        # nothing below reads the mapped file: unmapping it first takes its pages (4 MB
        # for libLLVM) out of the resident set before the split allocates the names
        self.release()
        holder = [text]
        del text
        return ExportSet(self.machine, _names_in(holder, st_name, what), versions, weak_rows)

    def _forget(self, sec: _Section) -> None:
        """Drop the mapped pages of a section that has been copied out, so that they leave
        the resident set (they are read again from the page cache if touched)."""
        if isinstance(self.buf, mmap.mmap):
            forget(self.buf, self.base + sec.offset, sec.size)

    def release(self) -> None:
        """Unmap the file (when it is mapped); the reader can read nothing afterwards."""
        if isinstance(self.buf, mmap.mmap):
            with contextlib.suppress(BufferError):
                self.buf.close()

    def _raw_versions(self, count: int) -> array.array[int] | None:
        """The ``.gnu.version`` entries (one per row of ``.dynsym``), or None."""
        sec = self.find(SHT_GNU_VERSYM)
        if sec is None:
            return None
        data = self._data(sec, "symbol version section (.gnu.version)")
        out = array.array("H", data[: min(len(data), count * 2) // 2 * 2])
        if (self.e == "<") != (sys.byteorder == "little"):
            out.byteswap()
        return out

    def _version_namer(
        self, defs: tuple[VersionDef, ...]
    ) -> Callable[[int], tuple[str | None, bool]]:
        """``(version, hidden)`` for a raw ``.gnu.version`` entry, as
        :meth:`symbol_versions` gives it per row."""
        names: dict[int, str] = {d.ndx: d.name for d in defs if not d.is_base}
        names.update(self.need_index)
        need = self.need_index

        def name(r: int) -> tuple[str | None, bool]:
            v = r & 0x7FFF
            # A version another library defines is never this file's default (nm prints "@").
            return (names.get(v) if v > 1 else None, bool(r & 0x8000) or v in need)

        return name

    def _strings(self, sec: _Section, what: str) -> bytes:
        return self._data(self._linked(sec, what), f"string table of {what}")

    def version_defs(self) -> tuple[VersionDef, ...]:
        sec = self.find(SHT_GNU_VERDEF)
        if sec is None:
            return ()
        what = "version definition section (.gnu.version_d)"
        data = self._data(sec, what)
        strtab = self._strings(sec, what)
        out: list[VersionDef] = []
        off = 0
        for _ in range(sec.info or 0xFFFF):
            try:
                _ver, flags, ndx, cnt, _hash, aux, nxt = struct.unpack_from(
                    self.e + "HHHHIII", data, off
                )
                names: list[str] = []
                a = off + aux
                for _j in range(cnt):
                    vda_name, vda_next = struct.unpack_from(self.e + "II", data, a)
                    names.append(_cstring_bytes(strtab, vda_name, what))
                    if vda_next == 0:
                        break
                    a += vda_next
            except struct.error as exc:
                msg = f"{what} is truncated or has a bad offset"
                raise _MalformedError(msg) from exc
            if not names:
                msg = f"{what} entry {len(out)} has no name"
                raise _MalformedError(msg)
            out.append(VersionDef(ndx, names[0], flags, tuple(names[1:])))
            if nxt == 0:
                break
            off += nxt
        return tuple(out)

    def version_needs(self) -> tuple[VersionNeed, ...]:
        sec = self.find(SHT_GNU_VERNEED)
        if sec is None:
            return ()
        what = "version requirement section (.gnu.version_r)"
        data = self._data(sec, what)
        strtab = self._strings(sec, what)
        out: list[VersionNeed] = []
        off = 0
        for _ in range(sec.info or 0xFFFF):
            try:
                _ver, cnt, vn_file, aux, nxt = struct.unpack_from(self.e + "HHIII", data, off)
                names: list[str] = []
                a = off + aux
                for _j in range(cnt):
                    _h, _fl, other, vna_name, vna_next = struct.unpack_from(
                        self.e + "IHHII", data, a
                    )
                    name = _cstring_bytes(strtab, vna_name, what)
                    names.append(name)
                    self.need_index[other & 0x7FFF] = name
                    if vna_next == 0:
                        break
                    a += vna_next
            except struct.error as exc:
                msg = f"{what} is truncated or has a bad offset"
                raise _MalformedError(msg) from exc
            out.append(VersionNeed(_cstring_bytes(strtab, vn_file, what), tuple(names)))
            if nxt == 0:
                break
            off += nxt
        return tuple(out)

    def image(self, path: str, *, want_symtab: bool = True) -> ElfImage:
        defs = self.version_defs()
        needs = self.version_needs()
        dynsym_sec = self.find(SHT_DYNSYM)
        dynsym = SymbolTable.empty()
        if dynsym_sec is not None:
            versions = self.symbol_versions(defs)
            dynsym = self.symbols(dynsym_sec, "dynamic symbol table (.dynsym)", versions)
        symtab: SymbolTable | None = None
        symtab_sec = self.find(SHT_SYMTAB) if want_symtab else None
        if symtab_sec is not None:
            symtab = self.symbols(symtab_sec, "symbol table (.symtab)")
        return ElfImage(
            path=path,
            bits=self.bits,
            byteorder="little" if self.e == "<" else "big",
            machine=self.machine,
            elf_type=ET_NAMES.get(self.e_type, f"ET_{self.e_type:#x}"),
            dynsym=dynsym,
            symtab=symtab,
            version_defs=defs,
            version_needs=needs,
        )

    def symbol_versions(self, defs: tuple[VersionDef, ...]) -> _Versions | None:
        sec = self.find(SHT_GNU_VERSYM)
        if sec is None:
            return None
        data = self._data(sec, "symbol version section (.gnu.version)")
        names: dict[int, str] = {d.ndx: d.name for d in defs if not d.is_base}
        names.update(self.need_index)
        count = len(data) // 2
        raw = struct.unpack(f"{self.e}{count}H", data[: count * 2])
        distinct = set(raw)
        vmap = {r: names.get(r & 0x7FFF) if r & 0x7FFF > 1 else None for r in distinct}
        # A version another library defines is never this file's default (nm prints "@").
        hmap = {r: bool(r & 0x8000) or (r & 0x7FFF) in self.need_index for r in distinct}
        return list(map(vmap.__getitem__, raw)), list(map(hmap.__getitem__, raw))


def _open(path: str | Path) -> tuple[mmap.mmap | bytes, int]:
    # open(), not pathlib: importing pathlib (and urllib.parse with it) costs every check
    # about 6 ms of start-up
    try:
        with open(path, "rb") as fh:  # noqa: PTH123
            size = fh.seek(0, 2)
            if size == 0:
                return b"", 0
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ), size
    except IsADirectoryError as exc:
        raise BinaryError(f"{path}: is a directory, not a binary") from exc
    except OSError as exc:
        raise BinaryError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _fail(path: str | Path, exc: BaseException) -> BinaryError:
    if isinstance(exc, _MalformedError):
        return BinaryError(f"{path}: {exc}")
    if isinstance(exc, struct.error):
        return BinaryError(f"{path}: truncated or corrupted ELF data ({exc})")
    return BinaryError(f"{path}: corrupted ELF file ({type(exc).__name__}: {exc})")


_ERRORS = (
    _MalformedError,
    struct.error,
    ValueError,
    IndexError,
    KeyError,
    OverflowError,
    MemoryError,
)


def is_elf(path: str | Path) -> bool:
    """True when the file starts with the ELF magic."""
    try:
        with open(path, "rb") as fh:  # noqa: PTH123 (see _open)
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def is_archive(path: str | Path) -> bool:
    """True for an ``ar`` archive (``!<arch>``)."""
    try:
        with open(path, "rb") as fh:  # noqa: PTH123 (see _open)
            return fh.read(8) == b"!<arch>\n"
    except OSError:
        return False


def read_symbols(path: str | Path, *, symtab: bool = True) -> ElfImage:
    """Read the dynamic symbols (with versions), version nodes and ``.symtab`` of a file.

    ``symtab=False`` skips ``.symtab`` (the common, fast case of ``check``).
    """
    with _reading(path) as reader:
        if not reader.sections:
            return _read_without_sections(path)
        return reader.image(str(path), want_symtab=symtab)


@contextlib.contextmanager
def _reading(path: str | Path) -> Iterator[_Reader]:
    """A reader of the file, mapped for the block; malformed input (in the block too)
    becomes one :class:`~visgen.errors.BinaryError` naming the file."""
    buf, size = _open(path)
    try:
        if size < 16:
            raise _MalformedError("not an ELF file (too short)" if size else "empty file")
        yield _Reader(buf, 0, size)
    except _ERRORS as exc:
        raise _fail(path, exc) from None
    finally:
        if isinstance(buf, mmap.mmap):
            # a view still held by a traceback keeps the file mapped until it is freed
            with contextlib.suppress(BufferError):
                buf.close()


def read_exports(path: str | Path) -> Exports:
    """The exported dynamic symbols of a file (the rows of ``read_symbols(path).exported()``)
    with their bindings, types, section indexes and versions: the fast path of ``check``.

    It reads the same bytes as :func:`read_symbols` and raises the same errors.
    """
    with _reading(path) as reader:
        if not reader.sections:
            image = _read_without_sections(path)
        else:
            defs = reader.version_defs()
            reader.version_needs()
            dynsym_sec = reader.find(SHT_DYNSYM)
            if dynsym_sec is None:
                return Exports(str(path), reader.machine, defs, [], [], [], [], [], [])
            columns = reader.exports(
                dynsym_sec, "dynamic symbol table (.dynsym)", reader.symbol_versions(defs)
            )
            return Exports(str(path), reader.machine, defs, *columns)
    syms = image.exported()
    return Exports(
        image.path,
        image.machine,
        image.version_defs,
        [s.name for s in syms],
        [s.binding for s in syms],
        [s.type for s in syms],
        [s.shndx for s in syms],
        [s.version for s in syms],
        [s.version_hidden for s in syms],
    )


def read_export_set(path: str | Path, *, weak: bool = False) -> ExportSet | None:
    """The exported dynamic symbols of a file as a set (:class:`ExportSet`), about twice
    as fast as :func:`read_exports` on a large library: the names come from one split of
    the string table instead of one search per symbol. ``weak=True`` adds the weak and
    unique symbols row by row.

    None where the set form does not apply (no section headers, a string table that is
    not ASCII): :func:`read_exports` reads those. It raises the errors of
    :func:`read_exports` for the same bytes.
    """
    with _reading(path) as reader:
        if not reader.sections:
            return None
        dynsym_sec = reader.find(SHT_DYNSYM)
        if dynsym_sec is None:
            reader.version_defs()
            reader.version_needs()
            return ExportSet(reader.machine, [], frozenset(), [] if weak else None)
        return reader.export_set(dynsym_sec, "dynamic symbol table (.dynsym)", weak=weak)


def _read_without_sections(path: str | Path) -> ElfImage:
    """A file without section headers: find ``.dynsym`` through ``PT_DYNAMIC`` (pyelftools)."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.dynamic import DynamicSegment
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as fh:  # noqa: PTH123 (see _open)
            elf = ELFFile(fh)
            syms: list[ElfSymbol] = []
            for seg in elf.iter_segments():
                if isinstance(seg, DynamicSegment):
                    for i, s in enumerate(seg.iter_symbols()):
                        if i == 0:
                            continue
                        e = s.entry
                        shndx = e.st_shndx
                        syms.append(
                            ElfSymbol(
                                s.name,
                                e.st_info.bind,
                                e.st_info.type,
                                e.st_other.visibility,
                                shndx if isinstance(shndx, int) else _SHN.get(shndx, 1),
                                e.st_value,
                                e.st_size,
                            )
                        )
            return ElfImage(
                path=str(path),
                bits=elf.elfclass,
                byteorder="little" if elf.little_endian else "big",
                machine=0,
                elf_type=str(elf.header.e_type),
                dynsym=SymbolTable.from_symbols(syms),
                symtab=None,
            )
    except (ELFError, *_ERRORS, AttributeError, TypeError) as exc:
        raise _fail(path, exc) from None


_SHN = {"SHN_UNDEF": SHN_UNDEF, "SHN_ABS": SHN_ABS, "SHN_COMMON": SHN_COMMON}


def read_dynamic(path: str | Path) -> DynamicInfo:
    """``DT_SONAME``, ``DT_NEEDED``, ``DT_RPATH`` and ``DT_RUNPATH`` (pyelftools)."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    soname: str | None = None
    needed: list[str] = []
    rpath: list[str] = []
    runpath: list[str] = []
    try:
        with open(path, "rb") as fh:  # noqa: PTH123 (see _open)
            elf = ELFFile(fh)
            for sec in elf.iter_sections():
                if not isinstance(sec, DynamicSection):
                    continue
                for tag in sec.iter_tags():
                    kind = tag.entry.d_tag
                    if kind == "DT_NEEDED":
                        needed.append(_tag_text(tag, "needed"))
                    elif kind == "DT_SONAME":
                        soname = _tag_text(tag, "soname")
                    elif kind == "DT_RPATH":
                        rpath.extend(p for p in _tag_text(tag, "rpath").split(":") if p)
                    elif kind == "DT_RUNPATH":
                        runpath.extend(p for p in _tag_text(tag, "runpath").split(":") if p)
    except OSError as exc:
        raise BinaryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (ELFError, *_ERRORS, AttributeError, TypeError, UnicodeDecodeError) as exc:
        raise _fail(path, exc) from None
    return DynamicInfo(soname, tuple(needed), tuple(rpath), tuple(runpath))


def _tag_text(tag: object, attr: str) -> str:
    """The string pyelftools attaches to a ``DT_*`` tag under the name ``attr``."""
    return str(getattr(tag, attr))


def _archive_members(buf: mmap.mmap | bytes, size: int) -> Iterator[tuple[str, int, int]]:
    if bytes(buf[:8]) != b"!<arch>\n":
        if bytes(buf[:8]) == b"!<thin>\n":
            msg = "thin archives are not supported (their members live elsewhere)"
            raise _MalformedError(msg)
        msg = "not an ar archive (bad magic)"
        raise _MalformedError(msg)
    off = 8
    longnames = b""
    while off < size:
        if off & 1:
            off += 1
            if off >= size:
                break
        if off + 60 > size:
            msg = f"archive member header at {off:#x} is truncated"
            raise _MalformedError(msg)
        hdr = bytes(buf[off : off + 60])
        if hdr[58:60] != b"`\n":
            msg = f"archive member header at {off:#x} is corrupted"
            raise _MalformedError(msg)
        raw_name = hdr[:16].rstrip(b" ")
        try:
            length = int(hdr[48:58].strip() or b"0")
        except ValueError:
            msg = f"archive member at {off:#x} has a bad size"
            raise _MalformedError(msg) from None
        data = off + 60
        if length < 0 or data + length > size:
            msg = f"archive member at {off:#x} runs past the end of the file"
            raise _MalformedError(msg)
        if raw_name == b"//":
            longnames = bytes(buf[data : data + length])
        elif raw_name in (b"/", b"/SYM64/", b"__.SYMDEF", b"__.SYMDEF SORTED"):
            pass
        else:
            if raw_name.startswith(b"#1/"):
                n = int(raw_name[3:])
                name = bytes(buf[data : data + n]).rstrip(b"\0")
                data += n
                length -= n
            elif raw_name.startswith(b"/") and raw_name[1:].isdigit():
                start = int(raw_name[1:])
                end = longnames.find(b"/\n", start)
                if start >= len(longnames) or end < 0:
                    msg = f"archive member at {off:#x} has a bad long-name index"
                    raise _MalformedError(msg)
                name = longnames[start:end]
            else:
                name = raw_name[:-1] if raw_name.endswith(b"/") else raw_name
            yield name.decode("utf-8", "surrogateescape"), data, length
        off = off + 60 + (length if not raw_name.startswith(b"#1/") else int(hdr[48:58]))


def read_archive(path: str | Path) -> tuple[ArchiveMember, ...]:
    """Every ELF object of an ``ar`` archive with its ``.symtab`` (members that are not
    ELF, such as LLVM bitcode, are an error: their symbols cannot be judged)."""
    buf, size = _open(path)
    members: list[ArchiveMember] = []
    try:
        for name, start, length in _archive_members(buf, size):
            where = f"{path}({name})"
            try:
                reader = _Reader(buf, start, length)
                members.append(ArchiveMember(name, reader.image(where)))
            except _ERRORS as exc:
                raise _fail(where, exc) from None
    except _ERRORS as exc:
        raise _fail(path, exc) from None
    finally:
        if isinstance(buf, mmap.mmap):
            buf.close()
    return tuple(members)
