"""A cache of validated manifests, so that a large one is parsed once, not on every check.

``visgen extract`` writes one exact name per export: about 45,000 names and 8 MB (with
the demangled names as comments) for libLLVM. Parsing and validating that costs more than
the rest of ``visgen check`` together, and the CMake module runs ``check`` after every
link. :func:`load_manifest <visgen.manifest.load_manifest>` therefore keeps the model of
a large manifest that passed validation, in a compact form (names and line numbers; no
comments, no raw TOML), and the next run rebuilds the model from it.

Rules:

- *Every manifest*, however small (:data:`MIN_SIZE`): importing :mod:`tomllib` alone
  (with the :mod:`typing` and :mod:`datetime` it imports, 12-13 ms) costs more than
  reading an entry, the parse and lint come on top, and the CMake module runs a check
  after every link: a tenth of a small library's post-link check.
- *Never stale.* An entry holds a SHA-256 digest of the manifest's bytes and the
  file's status (device, inode, size, modification and change times in ns), and it is
  keyed by the resolved path, the file name (``pyproject.toml`` reads its
  ``[tool.visgen]`` table), the visgen version, the Python version (the format is
  :mod:`marshal`'s) and the size and modification time of the modules that build the
  model (so an edited checkout does not use entries its old code wrote). The status
  alone vouches for the content only when the entry was made from bytes read more than
  :data:`RACY_SECONDS` after the file's last change (git's "racily clean" rule: a later
  edit then carries a later time, whatever the file system's clock granularity); any
  other entry is checked against the digest, and rewritten as trusted once the file is
  old enough. Hashing 8 MB costs 10-15 ms and an import of OpenSSL, which a check of a
  large manifest would otherwise pay on every run.
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
        before = _cache.stamp(path)
        manifest = parse_and_validate(path)
        _cache.store(path, manifest, before)

Naming conventions: an *entry* is one cache file; its *key* says which manifest path and
which visgen it belongs to; its *digest* says which content.
"""

# ruff: noqa: PTH103, PTH105, PTH108, PTH116, PTH117, PTH118, PTH119, PTH120, PTH123, PTH208
# (os.path, not pathlib, on purpose: see the note above cache_dir)
from __future__ import annotations

import array
import contextlib
import marshal
import mmap
import os
import sys
import time

from visgen._pages import forget
from visgen.errors import ManifestError
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
    from typing import Any, BinaryIO

    StrPath = str | os.PathLike[str]

    from visgen.model import EntryKind

__all__ = ["MAX_ENTRIES", "MIN_SIZE", "RACY_SECONDS", "cache_dir", "load", "stamp", "store"]


def __dir__() -> list[str]:
    return list(__all__)


MIN_SIZE = 0
"""Manifests smaller than this (bytes) are not cached (none: see the module docstring)."""

MAX_ENTRIES = 64
"""Entries kept in the cache folder; the least recently written go first."""

RACY_SECONDS = 2
"""How long after its last change a file's status alone vouches for its content: above
any file system's timestamp granularity (FAT's is 2 s)."""

_FORMAT = 2
_MAGIC = "visgen-manifest-cache"
_LISTS = ("symbols", "globs", "cxx", "data", "optional")
_KINDS: tuple[EntryKind, ...] = ("symbol", "glob", "cxx", "data", "optional")
_CHUNK = 1 << 20
_NO_LINE = -1


# Paths here are strings handled with os and os.path, not pathlib: a check loads its
# manifest through this module, and importing pathlib (with urllib.parse) costs every
# check about 6 ms of start-up.


def cache_dir() -> str | None:
    """The cache folder, or None when the cache is off or has no home."""
    if os.environ.get("VISGEN_NO_CACHE", "") not in ("", "0"):
        return None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return os.path.join(xdg, "visgen")
    home = os.environ.get("HOME", "")  # the XDG spec: a relative value is ignored
    return os.path.join(home, ".cache", "visgen") if home else None


def _code_stamp() -> list[tuple[str, int, int]]:
    here = os.path.dirname(__file__)
    out = []
    for name in ("_cache.py", "manifest.py", "model.py", "_toml_lines.py"):
        st = os.stat(os.path.join(here, name))
        out.append((name, st.st_size, st.st_mtime_ns))
    return out


def _key(path: StrPath) -> tuple[Any, ...]:
    from visgen import __version__

    return (
        _MAGIC,
        _FORMAT,
        __version__,
        sys.version,
        os.path.realpath(path),
        os.path.basename(path),
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


def _entry_path(folder: str, key: tuple[Any, ...]) -> str:
    text = repr(key).encode()
    h = _sha256(len(text))
    h.update(text)
    name: str = h.hexdigest()[:32]
    return os.path.join(folder, name + ".bin")


def _digest(path: StrPath) -> tuple[bytes, int]:
    """SHA-256 of the file's bytes, read in chunks (no copy of a large file in memory)."""
    size = 0
    with open(path, "rb", buffering=0) as fh:
        expected = os.fstat(fh.fileno()).st_size
        h = _sha256(expected)
        buf = bytearray(min(_CHUNK, expected + 1))  # (a zero-filled MiB for 10 KB costs RSS)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            h.update(view[:n])
            size += n
    return h.digest(), size


def _status(path: StrPath) -> tuple[int, ...]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _trusted(status: tuple[int, ...], read_at_ns: int) -> bool:
    """True when bytes read at ``read_at_ns`` of a file with ``status`` are old enough
    for the status alone to vouch for them later (see the module docstring)."""
    changed = max(status[3], status[4])
    return read_at_ns - changed > RACY_SECONDS * 1_000_000_000


def load(path: StrPath) -> Manifest | None:
    """The cached model of the manifest at ``path``, or None (see the module docstring)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        status = _status(path)
        if status[2] < MIN_SIZE:
            return None
        key = _key(path)
        target = _entry_path(folder, key)
        with open(target, "rb") as fh:
            header = marshal.load(fh)  # noqa: S302 (our own cache)
            magic, entry_key, digest, entry_status, trusted, payload, lengths = header
            if magic != _MAGIC or entry_key != key:
                return None
            blobs = _Blobs.of_file(fh, lengths)
        if not (trusted and entry_status == status):
            read_at = time.time_ns()
            if digest != _digest(path)[0] or _status(path) != status:
                return None
            if _trusted(status, read_at):
                _write(target, (_MAGIC, key, digest, status, True, payload), blobs.all())
        return _decode(payload, str(path), blobs)
    except (OSError, EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def stamp(path: StrPath) -> tuple[tuple[int, ...], int] | None:
    """The file's status and the time now: taken before a manifest is parsed and given
    to :func:`store`, which caches the model only if the file has not changed since."""
    try:
        return _status(path), time.time_ns()
    except OSError:
        return None


def store(path: StrPath, manifest: Manifest, before: tuple[tuple[int, ...], int] | None) -> None:
    """Cache ``manifest``, parsed from ``path`` after :func:`stamp` gave ``before``
    (nothing happens if it cannot be done)."""
    folder = cache_dir()
    if folder is None or before is None:
        return
    try:
        status, read_at = before
        if status[2] < MIN_SIZE:
            return  # before hashing: a tiny manifest is not worth the hashing
        digest, size = _digest(path)
        if size < MIN_SIZE or _status(path) != status:
            return
        encoded = _encode(manifest)
        if encoded is None:
            return
        payload, blobs = encoded
        if not _same(_decode(payload, manifest.source, _Blobs(blobs)), manifest):
            return
        key = _key(path)
        target = _entry_path(folder, key)
        os.makedirs(folder, exist_ok=True)
        _write(target, (_MAGIC, key, digest, status, _trusted(status, read_at), payload), blobs)
        _prune(folder)
    except (OSError, ValueError, TypeError):
        return


def _write(target: str, header: tuple[Any, ...], blobs: list[bytes]) -> None:
    """Write an entry atomically (a temporary file, then a rename): the header (with the
    blobs' lengths), then the blobs."""
    data = marshal.dumps((*header, [len(b) for b in blobs]))
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.writelines(blobs)
        os.replace(tmp, target)
    finally:
        _unlink(tmp)


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _prune(folder: str) -> None:
    entries = [os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".bin")]
    if len(entries) <= MAX_ENTRIES:
        return
    aged = sorted(entries, key=lambda p: os.stat(p).st_mtime_ns)
    for old in aged[: len(entries) - MAX_ENTRIES]:
        _unlink(old)


# -- the compact form --------------------------------------------------------------------
# Plain tuples, lists and strings (what marshal writes fastest); every Location's file
# is the manifest's own path, so it is left out and put back from the path in use.


def _loc(loc: Location, file: str) -> tuple[int | None, str]:
    if loc.file != file:
        raise _NotCacheableError
    return (loc.line, loc.key)


class _NotCacheableError(Exception):
    """The model holds something the compact form does not represent."""


def _encode(manifest: Manifest) -> tuple[tuple[Any, ...], list[bytes]] | None:
    """The compact form of ``manifest`` and its blobs (the long lists, written after it)."""
    file = manifest.source
    blobs: list[bytes] = []
    try:
        libraries = tuple(_encode_library(lib, file, blobs) for lib in manifest.libraries)
    except _NotCacheableError:
        return None
    build = (manifest.build.manifest, manifest.build.check)
    return (manifest.schema, libraries, build), blobs


def _blob(blobs: list[bytes], data: bytes) -> int:
    blobs.append(data)
    return len(blobs) - 1


def _encode_library(lib: Library, file: str, blobs: list[bytes]) -> tuple[Any, ...]:
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
        tuple(_encode_group(g, file, blobs) for g in lib.exports),
        (check.allow, check.allow_presets, check.vague),
        _loc(lib.location, file),
        None if (exact := lib.sorted_exact_names("linux")) is None else _blob(blobs, exact),
    )


def _encode_group(group: ExportGroup, file: str, blobs: list[bytes]) -> tuple[Any, ...]:
    """A group, its lists (as ``(length, blob number)``, see :func:`_joined`), and its
    entries as runs ``(list number, start, stop)`` of consecutive items of one list,
    with one line per item and one key per list."""
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
        tuple(_joined(items, blobs) for items in lists),
        sorted(group.platforms),
        tuple(runs),
        tuple(keys),
        tuple(lines),
        _loc(group.location, file),
    )


def _joined(items: tuple[str, ...], blobs: list[bytes]) -> tuple[int, int]:
    """A list as its length and the number of a blob holding its items joined by NUL,
    UTF-8 encoded: one object to write and read instead of 45,000, and one that a load
    reads only when the list is used (:meth:`ExportGroup.deferred`)."""
    if any("\0" in item for item in items):
        raise _NotCacheableError
    return (len(items), _blob(blobs, "\0".join(items).encode("utf-8", "surrogatepass")))


def _split(count: int, data: bytes) -> tuple[str, ...]:
    if not count:
        return ()
    items = tuple(data.decode("utf-8", "surrogatepass").split("\0"))
    if len(items) != count:
        raise ValueError
    return items


class _Blobs:
    """The blobs of an entry: in memory (when storing), or in the entry file, read when
    used through a mapping of the file (which stays valid if the file is replaced)."""

    def __init__(self, data: list[bytes] | None = None) -> None:
        self._data = data
        self._map: mmap.mmap | None = None
        self._spans: list[tuple[int, int]] = []

    @classmethod
    def of_file(cls, fh: BinaryIO, lengths: list[int]) -> _Blobs:
        """The blobs that follow the header just read from ``fh``."""
        blobs = cls()
        at = fh.tell()
        for n in lengths:
            blobs._spans.append((at, n))
            at += n
        if at != os.fstat(fh.fileno()).st_size:
            raise ValueError
        if lengths:
            blobs._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        return blobs

    def get(self, index: int) -> bytes:
        if self._data is not None:
            return self._data[index]
        start, n = self._spans[index]
        assert self._map is not None  # a span exists, so the file was mapped
        data = self._map[start : start + n]
        if n >= mmap.PAGESIZE:  # a large copy is what is used: the pages can go
            forget(self._map, start, n)
        return data

    def all(self) -> list[bytes]:
        return [self.get(i) for i in range(len(self._data or self._spans))]


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


def _decode(payload: tuple[Any, ...], file: str, blobs: _Blobs) -> Manifest:
    schema, libraries, build = payload
    return Manifest(
        file,
        schema,
        tuple(_decode_library(lib, file, blobs) for lib in libraries),
        BuildSettings(*build),
    )


def _decode_library(raw: tuple[Any, ...], file: str, blobs: _Blobs) -> Library:
    name, prefix, header, variants, visibility, inlines, reg, groups, check, loc, exact = raw
    lib = Library(
        name=name,
        macro_prefix=prefix,
        header=header,
        variants=tuple(variants),
        visibility=visibility,
        inlines_hidden=inlines,
        registration=Registration(*reg),
        exports=tuple(_decode_group(g, file, blobs) for g in groups),
        check=CheckPolicy(*check),
        location=Location(file, *loc),
    )
    blob = None if exact is None else blobs.get(exact)
    lib._remember_sorted_exact_names("linux", blob)  # noqa: SLF001 (the model's own hook)
    return lib


def _resolver(file: str, key: str, lines: bytes) -> Callable[[int], Location]:
    located = array.array("i")
    located.frombytes(lines)

    def resolve(index: int) -> Location:
        line = located[index]
        return Location(file, None if line == _NO_LINE else line, f"{key}[{index}]")

    return resolve


def _decode_group(raw: tuple[Any, ...], file: str, blobs: _Blobs) -> ExportGroup:
    """A group whose ``symbols``, ``data`` and ``entries`` are built on first use
    (:meth:`ExportGroup.deferred`) from blobs read then; the rest is checked here."""
    index, node, inherits, lists, platforms, runs, keys, lines, loc = raw
    if len(lists) != len(_KINDS) or len(keys) != len(_KINDS) or len(lines) != len(_KINDS):
        raise ValueError
    for (count, _), key, data in zip(lists, keys, lines, strict=True):
        if count and (key is None or len(data) != 4 * count):
            raise ValueError
    for which, start, stop in runs:
        if not 0 <= start < stop <= lists[which][0]:
            raise ValueError
    globs, cxx, optional = (_split(n, blobs.get(i)) for n, i in (lists[1], lists[2], lists[4]))

    def load() -> tuple[tuple[str, ...], tuple[str, ...], tuple[ExportEntry, ...]]:
        try:
            symbols, data = (_split(n, blobs.get(i)) for n, i in (lists[0], lists[3]))
        except (ValueError, IndexError) as exc:  # a damaged entry file (a disk error)
            msg = f"{file}: visgen's cache entry for it is damaged; delete {cache_dir()}"
            raise ManifestError(msg) from exc
        items = (symbols, globs, cxx, data, optional)
        entries: list[ExportEntry] = []
        for which, start, stop in runs:
            resolve = _resolver(file, keys[which], lines[which])
            entries += ExportEntry.many(items[which][start:stop], _KINDS[which], resolve, start)
        return symbols, data, tuple(entries)

    return ExportGroup.deferred(
        load,
        index=index,
        node=node,
        inherits=inherits,
        globs=globs,
        cxx=cxx,
        optional=optional,
        platforms=frozenset(platforms),
        location=Location(file, *loc),
    )
