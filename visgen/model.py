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

from dataclasses import dataclass, field
from typing import Literal, get_args

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

PLATFORMS: tuple[Platform, ...] = get_args(Platform)
VARIANTS: tuple[Variant, ...] = get_args(Variant)
REGISTERED_VARIANTS: frozenset[Variant] = frozenset({"shared-registered", "registered"})


@dataclass(frozen=True, order=True)
class Location:
    """Where a value sits in the manifest, for messages: file, 1-based line, dotted key."""

    file: str
    line: int | None
    key: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}" if self.key else where


@dataclass(frozen=True)
class ExportEntry:
    """One string of an export group.

    ``kind`` says which list it came from. ``data`` entries are exact names of data
    objects; ``optional`` entries are names or globs that may be absent from a build.
    """

    text: str
    kind: EntryKind
    location: Location

    @property
    def is_pattern(self) -> bool:
        """True when the entry is not an exact linkage name (a glob, or any cxx entry)."""
        if self.kind == "cxx":
            return True
        return any(c in self.text for c in "*?[")

    @property
    def is_cxx(self) -> bool:
        return self.kind == "cxx"

    @property
    def is_data(self) -> bool:
        return self.kind == "data"

    @property
    def is_optional(self) -> bool:
        return self.kind == "optional"


@dataclass(frozen=True)
class ExportGroup:
    """One ``[[library.X.exports]]`` table. Order in the manifest is kept."""

    index: int
    node: str | None
    inherits: str | None
    symbols: tuple[str, ...] = ()
    globs: tuple[str, ...] = ()
    cxx: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    platforms: frozenset[Platform] = frozenset(PLATFORMS)
    entries: tuple[ExportEntry, ...] = ()
    """Every string above, in manifest order, each with its kind and place."""
    location: Location = field(default=Location("", None, ""), compare=False)

    def applies_to(self, platform: Platform) -> bool:
        return platform in self.platforms


@dataclass(frozen=True)
class Registration:
    """The init/destroy protocol of the registered variants (SPEC section 3)."""

    abi: RegistrationAbi
    init: str
    destroy: str
    on_init: str | None = None
    on_destroy: str | None = None


@dataclass(frozen=True)
class CheckPolicy:
    """``[library.X.check]``: what ``visgen check`` tolerates beyond the declared exports."""

    allow: tuple[str, ...] = ()
    allow_presets: tuple[str, ...] = ()
    vague: VagueMode = "error"


@dataclass(frozen=True)
class Library:
    """One ``[library.X]`` table with every default filled in."""

    name: str
    macro_prefix: str
    header: str
    variants: tuple[Variant, ...]
    visibility: Visibility
    inlines_hidden: bool
    registration: Registration
    exports: tuple[ExportGroup, ...]
    check: CheckPolicy
    location: Location = field(default=Location("", None, ""), compare=False)

    def groups_for(self, platform: Platform) -> tuple[ExportGroup, ...]:
        """The export groups that apply on ``platform``, in manifest order."""
        return tuple(g for g in self.exports if g.applies_to(platform))

    def entries_for(self, platform: Platform) -> tuple[ExportEntry, ...]:
        """Every export entry that applies on ``platform``, in manifest order."""
        return tuple(e for g in self.groups_for(platform) for e in g.entries)

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


@dataclass(frozen=True)
class BuildSettings:
    """``[tool.visgen.build]`` of a pyproject.toml (SPEC section 7)."""

    manifest: str | None = None
    check: CheckMode = "error"


@dataclass(frozen=True)
class Manifest:
    """A whole manifest file: its libraries in file order.

    ``source`` is the path the manifest was read from, as given (used in messages only;
    generated files never contain it).
    """

    source: str
    schema: int
    libraries: tuple[Library, ...]
    build: BuildSettings = BuildSettings()

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
