"""A cache of validated manifests, so that a large one is parsed once, not on every check.

``visgen extract`` writes one exact name per export: about 45,000 names and 8 MB (with
the demangled names as comments) for libLLVM. Parsing and validating that costs more than
the rest of ``visgen check`` together, and the CMake module runs ``check`` after every
link. :func:`load_manifest <visgen.manifest.load_manifest>` therefore keeps the model of
a large manifest that passed validation, in a compact form (names and line numbers; no
comments, no raw TOML), and the next run rebuilds the model from it.

Rules:

- *Not tiny manifests* (:data:`MIN_SIZE` bytes and up: a hundred lines or so). A
  maintainer's manifest of a few hundred globs (10 KB) loads faster from the cache too:
  importing :mod:`tomllib` alone costs more than hashing the file and reading its entry,
  and the parse and lint come on top. Tiny manifests gain little, and tests that write
  many of them to temporary folders leave no entries behind.
- *Never stale.* An entry holds a SHA-256 digest of the manifest's bytes, checked on
  every use (hashing 8 MB takes a fraction of parsing it), and it is keyed by the
  resolved path, the file name (``pyproject.toml`` reads its ``[tool.visgen]`` table), the
  visgen version, the Python version (the format is :mod:`marshal`'s) and the size and
  modification time of the modules that build the model (so an edited checkout does not
  use entries its old code wrote).
- *Exact.* An entry is written only when the model rebuilt from it equals the model it
  was made from, locations included.
- *Harmless.* Reading or writing problems (a read-only or full disk, a corrupted or
  foreign file, a race with another process) are ignored: the manifest is parsed as if
  there were no cache. Entries are written atomically (a temporary file, then
  ``os.replace``), one per manifest path (a new content replaces the old entry), and at
  most :data:`MAX_ENTRIES` are kept.
- ``$XDG_CACHE_HOME/visgen`` (default ``~/.cache/visgen``); ``VISGEN_NO_CACHE=1`` turns
  the cache off.

Like Python's own ``__pycache__``, entries are :mod:`marshal` data and are trusted as
much as the user's own cache folder.

Example::

    manifest = _cache.load(path)          # None: not cached, stale, or cache off
    if manifest is None:
        manifest = parse_and_validate(path)
        _cache.store(path, manifest)

Naming conventions: an *entry* is one cache file; its *key* says which manifest path and
which visgen it belongs to; its *digest* says which content.
"""

from __future__ import annotations

import array
import marshal
import os
import sys
from pathlib import Path

from visgen.model import (
    BuildSettings,
    CheckPolicy,
    ExportEntry,
    ExportGroup,
    Library,
    Location,
    Manifest,
    Registration,
)

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# check (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from visgen.model import EntryKind

__all__ = ["MAX_ENTRIES", "MIN_SIZE", "cache_dir", "load", "store"]


def __dir__() -> list[str]:
    return list(__all__)


MIN_SIZE = 4 * 1024
"""Manifests smaller than this (bytes) are not cached."""

MAX_ENTRIES = 64
"""Entries kept in the cache folder; the least recently written go first."""

_FORMAT = 1
_MAGIC = "visgen-manifest-cache"
_LISTS = ("symbols", "globs", "cxx", "data", "optional")
_KINDS: tuple[EntryKind, ...] = ("symbol", "glob", "cxx", "data", "optional")
_CHUNK = 1 << 20
_NO_LINE = -1


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off or has no home."""
    if os.environ.get("VISGEN_NO_CACHE", "") not in ("", "0"):
        return None
    xdg = Path(os.environ.get("XDG_CACHE_HOME", ""))
    if xdg.is_absolute():
        return xdg / "visgen"
    home = os.environ.get("HOME", "")  # the XDG spec: a relative value is ignored
    return Path(home, ".cache", "visgen") if home else None


def _code_stamp() -> list[tuple[str, int, int]]:
    here = Path(__file__).parent
    out = []
    for name in ("_cache.py", "manifest.py", "model.py", "_toml_lines.py"):
        st = (here / name).stat()
        out.append((name, st.st_size, st.st_mtime_ns))
    return out


def _key(path: Path) -> tuple[Any, ...]:
    from visgen import __version__

    return (
        _MAGIC,
        _FORMAT,
        __version__,
        sys.version,
        str(path.resolve()),
        path.name,
        _code_stamp(),
    )


_BUILTIN_SHA256_LIMIT = 256 * 1024
"""Inputs below this size (bytes) are hashed by CPython's built-in SHA-256 (see :func:`_sha256`)."""


def _sha256(size: int) -> Any:
    """A new SHA-256 object for ``size`` bytes. A small input is hashed by CPython's own
    implementation: importing :mod:`hashlib` loads OpenSSL's libcrypto, 3-4 MiB of
    resident memory and a few ms, which a cached maintainer-size manifest would pay for
    nothing; a large one by hashlib's (OpenSSL's is about 8x faster on 8 MB). Both give
    the same digest."""
    if size < _BUILTIN_SHA256_LIMIT:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            try:
                from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]
            except ImportError:
                from hashlib import sha256
    else:
        from hashlib import sha256
    return sha256()


def _entry_path(folder: Path, key: tuple[Any, ...]) -> Path:
    text = repr(key).encode()
    h = _sha256(len(text))
    h.update(text)
    name: str = h.hexdigest()[:32]
    return folder / (name + ".bin")


def _digest(path: Path) -> tuple[bytes, int]:
    """SHA-256 of the file's bytes, read in chunks (no copy of a large file in memory)."""
    size = 0
    with path.open("rb", buffering=0) as fh:
        expected = os.fstat(fh.fileno()).st_size
        h = _sha256(expected)
        buf = bytearray(min(_CHUNK, expected + 1))  # (a zero-filled MiB for 10 KB costs RSS)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            h.update(view[:n])
            size += n
    return h.digest(), size


def load(path: Path) -> Manifest | None:
    """The cached model of the manifest at ``path``, or None (see the module docstring)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        if path.stat().st_size < MIN_SIZE:
            return None
        key = _key(path)
        raw = _entry_path(folder, key).read_bytes()
        magic, entry_key, digest, payload = marshal.loads(raw)  # noqa: S302 (our own cache)
        del raw
        if magic != _MAGIC or entry_key != key or digest != _digest(path)[0]:
            return None
        return _decode(payload, str(path))
    except (OSError, EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def store(path: Path, manifest: Manifest) -> None:
    """Cache ``manifest``, read from ``path`` (nothing happens if it cannot be done)."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        if path.stat().st_size < MIN_SIZE:
            return  # before hashing: a tiny manifest is not worth the hashing
        digest, size = _digest(path)
        if size < MIN_SIZE:
            return
        payload = _encode(manifest)
        if payload is None or not _same(_decode(payload, manifest.source), manifest):
            return
        key = _key(path)
        data = marshal.dumps((_MAGIC, key, digest, payload))
        folder.mkdir(parents=True, exist_ok=True)
        target = _entry_path(folder, key)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
        _prune(folder)
    except (OSError, ValueError, TypeError):
        return


def _prune(folder: Path) -> None:
    entries = list(folder.glob("*.bin"))
    if len(entries) <= MAX_ENTRIES:
        return
    aged = sorted(entries, key=lambda p: p.stat().st_mtime_ns)
    for old in aged[: len(entries) - MAX_ENTRIES]:
        old.unlink(missing_ok=True)


# -- the compact form --------------------------------------------------------------------
# Plain tuples, lists and strings (what marshal writes fastest); every Location's file
# is the manifest's own path, so it is left out and put back from the path in use.


def _loc(loc: Location, file: str) -> tuple[int | None, str]:
    if loc.file != file:
        raise _NotCacheableError
    return (loc.line, loc.key)


class _NotCacheableError(Exception):
    """The model holds something the compact form does not represent."""


def _encode(manifest: Manifest) -> tuple[Any, ...] | None:
    file = manifest.source
    try:
        libraries = tuple(_encode_library(lib, file) for lib in manifest.libraries)
    except _NotCacheableError:
        return None
    build = (manifest.build.manifest, manifest.build.check)
    return (manifest.schema, libraries, build)


def _encode_library(lib: Library, file: str) -> tuple[Any, ...]:
    reg = lib.registration
    check = lib.check
    return (
        lib.name,
        lib.macro_prefix,
        lib.header,
        lib.variants,
        lib.visibility,
        lib.inlines_hidden,
        (reg.abi, reg.init, reg.destroy, reg.on_init, reg.on_destroy),
        tuple(_encode_group(g, file) for g in lib.exports),
        (check.allow, check.allow_presets, check.vague),
        _loc(lib.location, file),
    )


def _encode_group(group: ExportGroup, file: str) -> tuple[Any, ...]:
    """A group, its lists, and its entries as runs ``(list number, start, stop)`` of
    consecutive items of one list, with one line per item and one key per list."""
    lists = (group.symbols, group.globs, group.cxx, group.data, group.optional)
    runs: list[tuple[int, int, int]] = []
    seen = [0] * len(lists)
    for entry in group.entries:
        which = _KINDS.index(entry.kind)
        i = seen[which]
        if i >= len(lists[which]) or lists[which][i] != entry.text:
            raise _NotCacheableError
        seen[which] = i + 1
        if runs and runs[-1][0] == which and runs[-1][2] == i:
            runs[-1] = (which, runs[-1][1], i + 1)
        else:
            runs.append((which, i, i + 1))
    if seen != [len(lst) for lst in lists]:
        raise _NotCacheableError
    keys: list[str | None] = [None] * len(lists)
    lines: list[bytes] = [b""] * len(lists)
    for which, items in enumerate(lists):
        if not items:
            continue
        located: list[int] = []
        for k, entry in enumerate(e for e in group.entries if e.kind == _KINDS[which]):
            line, key = _loc(entry.location, file)
            head, _, tail = key.rpartition("[")
            if tail != f"{k}]" or (keys[which] is not None and keys[which] != head):
                raise _NotCacheableError
            keys[which] = head
            located.append(_NO_LINE if line is None else line)
        lines[which] = array.array("i", located).tobytes()
    return (
        group.index,
        group.node,
        group.inherits,
        lists,
        sorted(group.platforms),
        tuple(runs),
        tuple(keys),
        tuple(lines),
        _loc(group.location, file),
    )


def _same(a: Manifest, b: Manifest) -> bool:
    """Equal models, locations included (entries compare by identity, so by value here)."""
    if (a.source, a.schema, a.build, len(a.libraries)) != (
        b.source,
        b.schema,
        b.build,
        len(b.libraries),
    ):
        return False
    for la, lb in zip(a.libraries, b.libraries, strict=True):
        if _fields_besides(la, "exports") != _fields_besides(lb, "exports") or len(
            la.exports
        ) != len(lb.exports):
            return False
        for ga, gb in zip(la.exports, lb.exports, strict=True):
            if _fields_besides(ga, "entries") != _fields_besides(gb, "entries") or len(
                ga.entries
            ) != len(gb.entries):
                return False
            for ea, eb in zip(ga.entries, gb.entries, strict=True):
                if (ea.text, ea.kind, ea.location) != (eb.text, eb.kind, eb.location):
                    return False
    return True


def _fields_besides(obj: Library | ExportGroup, nested: str) -> tuple[Any, ...]:
    """Every field of a model object (its location too) but the ``nested`` sequence, which
    :func:`_same` walks itself; taken from the class's own field list, so a field added
    to the model is compared here without a second list to keep in step."""
    return tuple(getattr(obj, name) for name in obj._fields if name != nested)


def _decode(payload: tuple[Any, ...], file: str) -> Manifest:
    schema, libraries, build = payload
    return Manifest(
        file,
        schema,
        tuple(_decode_library(lib, file) for lib in libraries),
        BuildSettings(*build),
    )


def _decode_library(raw: tuple[Any, ...], file: str) -> Library:
    name, prefix, header, variants, visibility, inlines, reg, groups, check, loc = raw
    return Library(
        name=name,
        macro_prefix=prefix,
        header=header,
        variants=tuple(variants),
        visibility=visibility,
        inlines_hidden=inlines,
        registration=Registration(*reg),
        exports=tuple(_decode_group(g, file) for g in groups),
        check=CheckPolicy(*check),
        location=Location(file, *loc),
    )


def _resolver(file: str, key: str, lines: bytes) -> Callable[[int], Location]:
    located = array.array("i")
    located.frombytes(lines)

    def resolve(index: int) -> Location:
        line = located[index]
        return Location(file, None if line == _NO_LINE else line, f"{key}[{index}]")

    return resolve


def _decode_group(raw: tuple[Any, ...], file: str) -> ExportGroup:
    index, node, inherits, lists, platforms, runs, keys, lines, loc = raw
    lists = tuple(tuple(items) for items in lists)
    resolvers = [
        _resolver(file, key, data) if key is not None else None
        for key, data in zip(keys, lines, strict=True)
    ]
    entries: list[ExportEntry] = []
    for which, start, stop in runs:
        resolve = resolvers[which]
        if resolve is None:
            raise ValueError
        entries += ExportEntry.many(lists[which][start:stop], _KINDS[which], resolve, start)
    symbols, globs, cxx, data, optional = lists
    return ExportGroup(
        index=index,
        node=node,
        inherits=inherits,
        symbols=symbols,
        globs=globs,
        cxx=cxx,
        data=data,
        optional=optional,
        platforms=frozenset(platforms),
        entries=tuple(entries),
        location=Location(file, *loc),
    )
