"""The manifest as frozen, typed data: what every generator, checker and command reads.

Nothing downstream of :mod:`visgen.manifest` sees a raw TOML dict. Every value here has
been validated, and every default of SPEC section 2 has been filled in.

Worked example::

    schema = 1
    [library.asyncrt]
    variants = ["static", "shared", "registered"]
    [[library.asyncrt.exports]]
    node = "ASYNCRT_1.0"
    symbols = ["asyncrtCreateToken"]
    globs = ["asyncrtRuntime*"]

becomes ``Manifest(libraries=(Library(name="asyncrt", macro_prefix="ASYNCRT",
header="asyncrt_export.h", exports=(ExportGroup(node="ASYNCRT_1.0", ...),), ...),))``.

Naming conventions:

- *name*: an exact linkage name (a C identifier, or a mangled C++ name ``_Z...``).
- *glob*: a shell-style pattern over linkage names (``*``, ``?``, ``[...]``).
- *cxx*: a demangled C++ name or pattern (``asyncrt::Runtime::*``).
- *entry*: one string of an export group (a name, glob or cxx pattern) with its place.
- *node*: an ELF version node (``ASYNCRT_1.0``); ``None`` means unversioned.
- *variant*: one of :data:`VARIANTS`; *platform*: one of :data:`PLATFORMS`.
"""

from __future__ import annotations

import itertools
import operator
import re
from itertools import repeat

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# check (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, ClassVar, Literal, Self

__all__ = [
    "PLATFORMS",
    "REGISTERED_VARIANTS",
    "VARIANTS",
    "BuildSettings",
    "CheckPolicy",
    "EntryKind",
    "ExportEntry",
    "ExportGroup",
    "Library",
    "Location",
    "Manifest",
    "Platform",
    "Registration",
    "Variant",
]


def __dir__() -> list[str]:
    return list(__all__)


if TYPE_CHECKING:
    Platform = Literal["linux", "macos", "windows"]
    """A target platform; decides which export groups apply and which file format is used."""

    Variant = Literal["static", "shared", "shared-registered", "registered"]
    """How a library is built (SPEC section 3)."""

    EntryKind = Literal["symbol", "glob", "cxx", "data", "optional"]
    """Which list of an export group an entry came from."""

    RegistrationAbi = Literal["c", "mlir"]
    VagueMode = Literal["error", "warn", "off"]
    Visibility = Literal["hidden", "default"]
    CheckMode = Literal["error", "warn", "off"]
else:
    # the aliases above, built on first access (visgen._lazy_literals)
    _LITERALS: dict[str, tuple[str, ...]] = {
        "Platform": ("linux", "macos", "windows"),
        "Variant": ("static", "shared", "shared-registered", "registered"),
        "EntryKind": ("symbol", "glob", "cxx", "data", "optional"),
        "RegistrationAbi": ("c", "mlir"),
        "VagueMode": ("error", "warn", "off"),
        "Visibility": ("hidden", "default"),
        "CheckMode": ("error", "warn", "off"),
    }

    def __getattr__(name: str) -> object:
        from visgen._lazy_literals import literal

        return literal(__name__, name, _LITERALS)


PLATFORMS: tuple[Platform, ...] = ("linux", "macos", "windows")
VARIANTS: tuple[Variant, ...] = ("static", "shared", "shared-registered", "registered")
REGISTERED_VARIANTS: frozenset[Variant] = frozenset({"shared-registered", "registered"})


class _Frozen:
    """The behaviour of a ``@dataclass(frozen=True)`` without the import of
    :mod:`dataclasses` (and :mod:`inspect`, which it imports) or the code it generates per
    class, which together cost every ``visgen`` command about 25 ms of start-up.

    Subclasses list their fields in ``_fields`` (in constructor order; ``__slots__``
    holds the same names) and those that take part in ``==`` and ``hash`` in
    ``_compare``; ``__init__`` sets them through
    :meth:`_set`. Like a frozen dataclass, an instance rejects attribute assignment and
    deletion, compares equal only to an instance of the same class with equal compared
    fields, hashes those fields, and has a ``Name(field=value, ...)`` repr; it pickles
    through its constructor.
    """

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _compare: ClassVar[tuple[str, ...]] = ()

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _values(self, names: tuple[str, ...]) -> tuple[Any, ...]:
        return tuple(getattr(self, n) for n in names)

    def __setattr__(self, name: str, value: object) -> None:
        msg = f"cannot assign to field {name!r}"
        raise AttributeError(msg)

    def __delattr__(self, name: str) -> None:
        msg = f"cannot delete field {name!r}"
        raise AttributeError(msg)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            names = self._compare
            return self._values(names) == other._values(names)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            names = self._compare
            return self._values(names) != other._values(names)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values(self._compare))

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields)
        return f"{type(self).__qualname__}({fields})"

    def __reduce__(self) -> tuple[type[Self], tuple[Any, ...]]:
        return (type(self), self._values(self._fields))


class Location(_Frozen):
    """Where a value sits in the manifest, for messages: file, 1-based line, dotted key.

    Ordered by (file, line, key), like ``@dataclass(order=True)``.
    """

    __slots__ = ("file", "key", "line")
    _fields = ("file", "line", "key")
    _compare = _fields

    file: str
    line: int | None
    key: str

    def __init__(self, file: str, line: int | None, key: str) -> None:
        object.__setattr__(self, "file", file)
        object.__setattr__(self, "line", line)
        object.__setattr__(self, "key", key)

    def _tuple(self) -> tuple[str, int | None, str]:
        return (self.file, self.line, self.key)

    def __lt__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._tuple() < other._tuple()
        return NotImplemented

    def __le__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._tuple() <= other._tuple()
        return NotImplemented

    def __gt__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._tuple() > other._tuple()
        return NotImplemented

    def __ge__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._tuple() >= other._tuple()
        return NotImplemented

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}" if self.key else where


_PATTERN_CHARS = re.compile(r"[*?\[]")


class ExportEntry(tuple):  # type: ignore[type-arg]
    """One string of an export group.

    ``kind`` says which list it came from. ``data`` entries are exact names of data
    objects; ``optional`` entries are names or globs that may be absent from a build.

    Immutable, with identity equality and hashing: two entries are the same only if
    they are the same string of the same manifest (a checker keys dicts and counters by
    entry tens of thousands of times, and hashing a value with its Location costs more
    than the lookup). ``location`` may be given as a :class:`Location`, or left to a
    ``resolve(index)`` callable that the loader supplies, so that 50,000 entries do not
    each build a Location (a line number and a dotted key) that no message will use.
    It is a tuple underneath only because that is the cheapest immutable object Python
    builds; treat it as a record (``text``, ``kind``, ``location``), not as a sequence.
    """

    __slots__ = ()

    def __new__(
        cls,
        text: str,
        kind: EntryKind,
        location: Location | None = None,
        *,
        resolve: Callable[[int], Location] | None = None,
        index: int = 0,
    ) -> Self:
        if location is None and resolve is None:
            msg = "ExportEntry needs a location or a resolve callable"
            raise TypeError(msg)
        return tuple.__new__(cls, (text, kind, location, resolve, index))

    @classmethod
    def many(
        cls,
        texts: Iterable[str],
        kind: EntryKind,
        resolve: Callable[[int], Location],
        start: int = 0,
    ) -> list[Self]:
        """One entry per text, the i-th located by ``resolve(start + i)``: the loader's
        bulk path."""
        rows = zip(texts, repeat(kind), repeat(None), repeat(resolve), itertools.count(start))
        return list(map(tuple.__new__, repeat(cls), rows))  # one C loop, no Python frame

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    # identity hashing through the C slot: no Python frame per dict or Counter access
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"ExportEntry(text={self.text!r}, kind={self.kind!r}, location={self.location!r})"

    def __getnewargs__(self) -> tuple[str, EntryKind, Location]:
        return (self.text, self.kind, self.location)

    if TYPE_CHECKING:

        @property
        def text(self) -> str: ...

        @property
        def kind(self) -> EntryKind: ...

    else:
        text = property(operator.itemgetter(0), doc="The string as written in the manifest.")
        kind = property(operator.itemgetter(1), doc="The list it came from.")

    @property
    def location(self) -> Location:
        """Where the entry is written in the manifest."""
        loc: Location | None = tuple.__getitem__(self, 2)
        if loc is None:
            resolve: Callable[[int], Location] = tuple.__getitem__(self, 3)
            loc = resolve(tuple.__getitem__(self, 4))
        return loc

    @property
    def is_pattern(self) -> bool:
        """True when the entry is not an exact linkage name (a glob, or any cxx entry)."""
        return self.kind == "cxx" or _PATTERN_CHARS.search(self.text) is not None

    @property
    def is_cxx(self) -> bool:
        return self.kind == "cxx"

    @property
    def is_data(self) -> bool:
        return self.kind == "data"

    @property
    def is_optional(self) -> bool:
        return self.kind == "optional"


_NOWHERE = Location("", None, "")
_ALL_PLATFORMS: frozenset[Platform] = frozenset(PLATFORMS)


class ExportGroup(_Frozen):
    """One ``[[library.X.exports]]`` table. Order in the manifest is kept.

    ``entries`` holds every string of the lists, in manifest order, each with its kind
    and place. ``location`` takes no part in ``==`` and ``hash``.

    The manifest cache makes groups with :meth:`deferred`: ``symbols``, ``data`` and
    ``entries`` (45,000 strings and entries for an extracted libLLVM manifest) are then
    built on first use, which a clean check of such a manifest never makes (it compares
    :meth:`Library.sorted_exact_names` instead).
    """

    __slots__ = (
        "_data",
        "_entries",
        "_load",
        "_symbols",
        "cxx",
        "globs",
        "index",
        "inherits",
        "location",
        "node",
        "optional",
        "platforms",
    )
    _fields = (
        "index",
        "node",
        "inherits",
        "symbols",
        "globs",
        "cxx",
        "data",
        "optional",
        "platforms",
        "entries",
        "location",
    )
    _compare = _fields[:-1]

    index: int
    node: str | None
    inherits: str | None
    globs: tuple[str, ...]
    cxx: tuple[str, ...]
    optional: tuple[str, ...]
    platforms: frozenset[Platform]
    location: Location
    _symbols: tuple[str, ...]
    _data: tuple[str, ...]
    _entries: tuple[ExportEntry, ...]
    _load: Callable[[], tuple[tuple[str, ...], tuple[str, ...], tuple[ExportEntry, ...]]] | None

    def __init__(  # noqa: PLR0917 (the fields of a manifest table, as in a dataclass)
        self,
        index: int,
        node: str | None,
        inherits: str | None,
        symbols: tuple[str, ...] = (),
        globs: tuple[str, ...] = (),
        cxx: tuple[str, ...] = (),
        data: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
        platforms: frozenset[Platform] = _ALL_PLATFORMS,
        entries: tuple[ExportEntry, ...] = (),
        location: Location = _NOWHERE,
    ) -> None:
        self._set(
            index=index,
            node=node,
            inherits=inherits,
            _symbols=symbols,
            globs=globs,
            cxx=cxx,
            _data=data,
            optional=optional,
            platforms=platforms,
            _entries=entries,
            location=location,
            _load=None,
        )

    @classmethod
    def deferred(
        cls,
        load: Callable[[], tuple[tuple[str, ...], tuple[str, ...], tuple[ExportEntry, ...]]],
        *,
        index: int,
        node: str | None,
        inherits: str | None,
        globs: tuple[str, ...],
        cxx: tuple[str, ...],
        optional: tuple[str, ...],
        platforms: frozenset[Platform],
        location: Location,
    ) -> Self:
        """A group whose ``symbols``, ``data`` and ``entries`` come from ``load()``,
        called once, on first use."""
        group = cls(index, node, inherits, (), globs, cxx, (), optional, platforms, (), location)
        object.__setattr__(group, "_load", load)
        return group

    def _loaded(self) -> None:
        load = self._load
        if load is not None:
            symbols, data, entries = load()
            self._set(_symbols=symbols, _data=data, _entries=entries, _load=None)

    @property
    def symbols(self) -> tuple[str, ...]:
        self._loaded()
        return self._symbols

    @property
    def data(self) -> tuple[str, ...]:
        self._loaded()
        return self._data

    @property
    def entries(self) -> tuple[ExportEntry, ...]:
        self._loaded()
        return self._entries

    @property
    def is_exact(self) -> bool:
        """True when the group holds exact linkage names only (``symbols`` and ``data``
        without a wildcard; no glob, C++ entry or optional name)."""
        if self.globs or self.cxx or self.optional:
            return False
        # ExportEntry.is_pattern's test, over every name at once
        return _PATTERN_CHARS.search("\n".join(self.symbols + self.data)) is None

    def applies_to(self, platform: Platform) -> bool:
        return platform in self.platforms


class Registration(_Frozen):
    """The init/destroy protocol of the registered variants (SPEC section 3)."""

    __slots__ = (
        "abi",
        "destroy",
        "init",
        "on_destroy",
        "on_init",
    )
    _fields = (
        "abi",
        "init",
        "destroy",
        "on_init",
        "on_destroy",
    )
    _compare = _fields

    abi: RegistrationAbi
    init: str
    destroy: str
    on_init: str | None
    on_destroy: str | None

    def __init__(
        self,
        abi: RegistrationAbi,
        init: str,
        destroy: str,
        on_init: str | None = None,
        on_destroy: str | None = None,
    ) -> None:
        self._set(abi=abi, init=init, destroy=destroy, on_init=on_init, on_destroy=on_destroy)


class CheckPolicy(_Frozen):
    """``[library.X.check]``: what ``visgen check`` tolerates beyond the declared exports."""

    __slots__ = ("allow", "allow_presets", "vague")
    _fields = ("allow", "allow_presets", "vague")
    _compare = _fields

    allow: tuple[str, ...]
    allow_presets: tuple[str, ...]
    vague: VagueMode

    def __init__(
        self,
        allow: tuple[str, ...] = (),
        allow_presets: tuple[str, ...] = (),
        vague: VagueMode = "error",
    ) -> None:
        self._set(allow=allow, allow_presets=allow_presets, vague=vague)


class Library(_Frozen):
    """One ``[library.X]`` table with every default filled in (``location`` takes no
    part in ``==`` and ``hash``)."""

    __slots__ = (
        "_derived",
        "check",
        "exports",
        "header",
        "inlines_hidden",
        "location",
        "macro_prefix",
        "name",
        "registration",
        "variants",
        "visibility",
    )
    _fields = (
        "name",
        "macro_prefix",
        "header",
        "variants",
        "visibility",
        "inlines_hidden",
        "registration",
        "exports",
        "check",
        "location",
    )
    _compare = _fields[:-1]

    name: str
    macro_prefix: str
    header: str
    variants: tuple[Variant, ...]
    visibility: Visibility
    inlines_hidden: bool
    registration: Registration
    exports: tuple[ExportGroup, ...]
    check: CheckPolicy
    location: Location
    _derived: dict[tuple[str, str], bytes | None]

    def __init__(  # noqa: PLR0917 (the fields of a manifest table, as in a dataclass)
        self,
        name: str,
        macro_prefix: str,
        header: str,
        variants: tuple[Variant, ...],
        visibility: Visibility,
        inlines_hidden: bool,
        registration: Registration,
        exports: tuple[ExportGroup, ...],
        check: CheckPolicy,
        location: Location = _NOWHERE,
    ) -> None:
        self._set(
            name=name,
            macro_prefix=macro_prefix,
            header=header,
            variants=variants,
            visibility=visibility,
            inlines_hidden=inlines_hidden,
            registration=registration,
            exports=exports,
            check=check,
            location=location,
            _derived={},
        )

    def groups_for(self, platform: Platform) -> tuple[ExportGroup, ...]:
        """The export groups that apply on ``platform``, in manifest order."""
        return tuple(g for g in self.exports if g.applies_to(platform))

    def entries_for(self, platform: Platform) -> tuple[ExportEntry, ...]:
        """Every export entry that applies on ``platform``, in manifest order."""
        groups = self.groups_for(platform)
        if len(groups) == 1:
            return groups[0].entries
        return tuple(itertools.chain.from_iterable(g.entries for g in groups))

    def sorted_exact_names(self, platform: Platform) -> bytes | None:
        """The exact linkage names of the groups that apply on ``platform``, each once,
        sorted, joined by NUL characters and UTF-8 encoded, when those groups hold
        nothing else (:attr:`ExportGroup.is_exact`); None otherwise.

        A check of an extracted manifest (one exact name per export) compares this one
        string with the binary's names, joined the same way. The manifest cache stores
        it (:meth:`_remember_sorted_exact_names`), so that such a check never builds the
        manifest's 45,000 names and entries.
        """
        key = ("sorted-exact", platform)
        if key not in self._derived:
            groups = self.groups_for(platform)
            blob = None
            if all(g.is_exact for g in groups):
                names = set(itertools.chain.from_iterable(g.symbols + g.data for g in groups))
                # NUL joins the names: one holding a NUL (invalid) could not be told apart
                if not any("\0" in n for n in names):
                    blob = "\0".join(sorted(names)).encode("utf-8", "surrogatepass")
            self._derived[key] = blob
        return self._derived[key]

    def _remember_sorted_exact_names(self, platform: Platform, blob: bytes | None) -> None:
        """Store what :meth:`sorted_exact_names` returns (the manifest cache's path)."""
        self._derived[("sorted-exact", platform)] = blob

    @property
    def nodes(self) -> tuple[str, ...]:
        """Version node names in manifest order (each once)."""
        seen: dict[str, None] = {}
        for g in self.exports:
            if g.node is not None:
                seen.setdefault(g.node, None)
        return tuple(seen)

    @property
    def has_registration(self) -> bool:
        return any(v in REGISTERED_VARIANTS for v in self.variants)


class BuildSettings(_Frozen):
    """``[tool.visgen.build]`` of a pyproject.toml (SPEC section 7)."""

    __slots__ = ("check", "manifest")
    _fields = ("manifest", "check")
    _compare = _fields

    manifest: str | None
    check: CheckMode

    def __init__(self, manifest: str | None = None, check: CheckMode = "error") -> None:
        self._set(manifest=manifest, check=check)


_DEFAULT_BUILD = BuildSettings()


class Manifest(_Frozen):
    """A whole manifest file: its libraries in file order.

    ``source`` is the path the manifest was read from, as given (used in messages only;
    generated files never contain it).
    """

    __slots__ = ("build", "libraries", "schema", "source")
    _fields = ("source", "schema", "libraries", "build")
    _compare = _fields

    source: str
    schema: int
    libraries: tuple[Library, ...]
    build: BuildSettings

    def __init__(
        self,
        source: str,
        schema: int,
        libraries: tuple[Library, ...],
        build: BuildSettings | None = None,
    ) -> None:
        self._set(
            source=source,
            schema=schema,
            libraries=libraries,
            build=build if build is not None else _DEFAULT_BUILD,
        )

    def library(self, name: str | None = None) -> Library:
        """The library called ``name``; with ``None``, the only one (an error if several)."""
        from visgen.errors import UsageError

        if name is None:
            if len(self.libraries) == 1:
                return self.libraries[0]
            names = ", ".join(lib.name for lib in self.libraries) or "none"
            msg = f"{self.source}: holds several libraries ({names}); choose one with --library"
            raise UsageError(msg)
        for lib in self.libraries:
            if lib.name == name:
                return lib
        names = ", ".join(lib.name for lib in self.libraries) or "none"
        msg = f"{self.source}: no library {name!r} (it has: {names})"
        raise UsageError(msg)
