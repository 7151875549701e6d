"""Load a ``registered`` library, collect its registration table, and unload it cleanly.

A library built in the ``registered`` (or ``shared-registered``) variant exports an
init/destroy pair (SPEC section 3)::

    typedef void (*visgen_register_fn)(void *ctx, const char *name, void *address);
    void INIT(visgen_register_fn register_symbol, void *ctx);
    void DESTROY(void);

:func:`load_registered` opens the file with :mod:`ctypes`, calls ``INIT`` with a callback
that collects the ``name -> address`` table, checks the table against the manifest, and
returns a :class:`RegisteredLibrary`. Closing it (or leaving its ``with`` block) calls
``DESTROY`` (which stops the library's threads and frees its state) and only then
``dlclose``\\s the handle, so no code of the library is unmapped while it still runs.

Worked example::

    import ctypes
    from visgen.runtime import load_registered

    with load_registered(
        "build/libasyncrt_registered.so", manifest="visgen.toml", library="asyncrt"
    ) as lib:
        create = lib.function("asyncrtCreateToken", restype=ctypes.c_void_p)
        token = create()
        lib.symbols["asyncrtCreateToken"]          # the address, an int
        lib.data("asyncrt_version", ctypes.c_char_p).value
    # destroy has run, and the library is unloaded

Two loads of one file in one process
------------------------------------

``dlopen`` counts references: opening a path that is already loaded returns the *same*
handle, and the library (with its global state: one worker pool) is unloaded only by the
last ``dlclose``. Calling ``INIT`` a second time while a first host still uses the state,
or ``DESTROY`` while another host still needs it, would break the first host. So this
module pairs them per handle, as ``dlopen`` pairs its own reference count:

- the first open load of a handle calls ``INIT``; a second load of the same file while the
  first is open does **not** call ``INIT`` again: it gets its own
  :class:`RegisteredLibrary` (its own table mapping, its own ``closed`` state, its own
  ``dlopen`` reference) holding a copy of the table the first ``INIT`` produced (the
  addresses are the same anyway: one file, one mapping);
- closing a load that is not the last open one only drops its ``dlopen`` reference;
  the last close (whichever load it is) calls ``DESTROY`` and then ``dlclose``;
- a load after every earlier load closed calls ``INIT`` again, which re-creates the
  state (the protocol requires init-after-destroy to work).

This accounting covers the loads made through this module in this process. A host that
calls ``INIT``/``DESTROY`` of the same library by itself (a C++ JIT, another ctypes user)
must pair its calls on its own. Loads and closes are serialised by one lock, so hosts on
different threads may load and close the same library concurrently.

A library that is still open when the interpreter exits is closed by an :mod:`atexit`
handler (newest first), so its threads are joined before Python finalises.

``dlclose`` does not always unmap: a library that defines ``STB_GNU_UNIQUE`` symbols (C++
vague-linkage objects exported from it) is marked "nodelete" by glibc and stays mapped,
and so does a library another part of the process opened too. :func:`is_loaded` tells.

Naming conventions: *path* is the file given by the caller; *handle* the value
``dlopen`` returned; *table* the ``{linkage name: address}`` mapping ``INIT`` registered;
*load* one :class:`RegisteredLibrary`, one call of :func:`load_registered`.
"""

from __future__ import annotations

import _ctypes
import atexit
import ctypes
import difflib
import os
import sys
import threading
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

from visgen.errors import VisgenError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from visgen.model import ExportEntry, Library, Manifest, Platform

__all__ = [
    "LibraryClosedError",
    "RegisteredLibrary",
    "RuntimeLoadError",
    "SymbolNotFoundError",
    "TableFunction",
    "current_platform",
    "is_loaded",
    "load_registered",
]


def __dir__() -> list[str]:
    return list(__all__)


class RuntimeLoadError(VisgenError):
    """A registered library could not be loaded, initialised, checked or closed."""


class LibraryClosedError(RuntimeLoadError):
    """A :class:`RegisteredLibrary` was used (or closed again) after :meth:`close`."""


class SymbolNotFoundError(RuntimeLoadError, LookupError):
    """A name that the registration table does not hold."""


Mode = Literal["local", "global"]
"""How the library's own exports are made visible: ``RTLD_LOCAL`` or ``RTLD_GLOBAL``."""

_CData = TypeVar(
    "_CData",
    bound="ctypes._SimpleCData[Any] | ctypes.Structure | ctypes.Union | ctypes.Array[Any]",  # noqa: SLF001
)

REGISTER_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
"""``visgen_register_fn``: ``void (*)(void *ctx, const char *name, void *address)``."""

_INIT_PROTO = ctypes.CFUNCTYPE(None, REGISTER_FN, ctypes.c_void_p)
_DESTROY_PROTO = ctypes.CFUNCTYPE(None)


def current_platform() -> Platform:
    """The manifest platform of this interpreter (``linux`` for other ELF systems)."""
    if sys.platform == "darwin":
        return "macos"
    if sys.platform in ("win32", "cygwin"):
        return "windows"
    return "linux"


# -- dlopen / dlclose ----------------------------------------------------------------------


_MODES: dict[str, int] = {"local": ctypes.RTLD_LOCAL, "global": ctypes.RTLD_GLOBAL}


def _mode_flags(mode: Mode | int) -> int:
    if isinstance(mode, int):
        return mode
    flags = _MODES.get(mode)
    if flags is None:
        msg = f"mode must be 'local' or 'global' (or RTLD_* flags), not {mode!r}"
        raise RuntimeLoadError(msg)
    return flags


def _dl_name(path: str | os.PathLike[str]) -> str:
    """What to hand to dlopen: an existing file by its absolute path, else as given.

    A bare ``libfoo.so`` that is a file in the current directory would otherwise be looked
    up on the library search path instead.
    """
    text = os.fspath(path)
    candidate = Path(text)
    if candidate.is_file():
        return str(candidate.resolve())
    return text


def _dlopen(name: str, flags: int) -> int:
    if sys.platform == "win32":
        return _ctypes.LoadLibrary(name, 0)
    return _ctypes.dlopen(name, flags)


def _dlsym(handle: int, name: str) -> int | None:
    """The address of ``name`` in the library ``handle`` (or its dependencies), or None."""
    if sys.platform == "win32":
        try:
            fn = getattr(ctypes.CDLL("", handle=handle), name)
        except AttributeError:
            return None
        return ctypes.cast(fn, ctypes.c_void_p).value
    try:
        return _ctypes.dlsym(handle, name)
    except OSError:
        return None


def _dlclose(handle: int) -> None:
    if sys.platform == "win32":
        _ctypes.FreeLibrary(handle)
    else:
        _ctypes.dlclose(handle)


def is_loaded(path: str | os.PathLike[str]) -> bool:
    """True when the library at ``path`` is mapped into this process right now.

    Uses ``dlopen(RTLD_NOLOAD)`` (``GetModuleHandle`` on Windows), which neither loads the
    library nor keeps a reference to it.
    """
    name = _dl_name(path)
    if sys.platform == "win32":
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        get_module = kernel32.GetModuleHandleW
        get_module.restype = ctypes.c_void_p
        get_module.argtypes = [ctypes.c_wchar_p]
        return bool(get_module(name))
    try:
        handle = _ctypes.dlopen(name, os.RTLD_NOLOAD | os.RTLD_LAZY)
    except OSError:
        return False
    _ctypes.dlclose(handle)
    return True


# -- the shared per-handle state -------------------------------------------------------------


@dataclass
class _Handle:
    """One dlopen handle as this module sees it: the table of its current init, its loads."""

    handle: int
    path: str
    init_name: str
    destroy_name: str
    destroy: Callable[[], None]
    table: dict[str, int]
    loads: list[RegisteredLibrary] = field(default_factory=list)


_LOCK = threading.RLock()
_HANDLES: dict[int, _Handle] = {}


def _close_all_at_exit() -> None:
    with _LOCK:
        loads = [load for h in _HANDLES.values() for load in h.loads]
    for load in reversed(loads):
        if not load.closed:
            load.close()


atexit.register(_close_all_at_exit)


# -- the table collector ------------------------------------------------------------------


@dataclass
class _Collector:
    """Receives ``register_symbol`` calls; Python errors cannot cross the C callback."""

    ctx: int
    table: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def __call__(self, ctx: int | None, name: bytes | None, address: int | None) -> None:
        if (ctx or 0) != self.ctx:
            self.problems.append(
                f"register_symbol was called with ctx {ctx or 0:#x}, not the {self.ctx:#x} "
                "init was given"
            )
        if name is None:
            self.problems.append("register_symbol was called with a NULL name")
            return
        text = name.decode("utf-8", "surrogateescape")
        addr = address or 0
        if addr == 0:
            self.problems.append(f"register_symbol registered {text!r} with a NULL address")
            return
        old = self.table.setdefault(text, addr)
        if old != addr:
            self.problems.append(
                f"register_symbol registered {text!r} twice, at {old:#x} and {addr:#x}"
            )


def _run_init(init: Callable[[Any, Any], None], path: str, init_name: str) -> dict[str, int]:
    ctx_anchor = ctypes.c_char()
    collector = _Collector(ctypes.addressof(ctx_anchor))
    callback = REGISTER_FN(collector)
    init(callback, ctypes.c_void_p(collector.ctx))
    if collector.problems:
        msg = f"{path}: {init_name}() broke the registration protocol:\n" + "\n".join(
            f"  {p}" for p in collector.problems
        )
        raise RuntimeLoadError(msg)
    return collector.table


# -- manifest checks ------------------------------------------------------------------------


def _missing_exports(table: Mapping[str, int], entries: Sequence[ExportEntry]) -> list[str]:
    """Entries the table does not satisfy, as message lines (empty when all are there)."""
    required = [e for e in entries if not e.is_optional]
    if not required:
        return []
    try:
        from visgen.match import PatternIndex
    except ImportError:  # pragma: no cover - the checker's module ships with visgen
        exact = [e for e in required if not e.is_pattern]
        return [_describe(e) for e in exact if e.text not in table]
    index = PatternIndex(required)
    index.match_names(table)
    return [_describe(e) for e in index.unmatched()]


def _describe(entry: ExportEntry) -> str:
    kind = {"symbol": "symbol", "data": "data object", "glob": "glob", "cxx": "C++ pattern"}
    what = kind.get(entry.kind, entry.kind)
    if entry.is_pattern:
        return f"{entry.text} ({what} matching nothing in the table; {entry.location})"
    return f"{entry.text} ({what}; {entry.location})"


def _resolve_library(
    manifest: str | os.PathLike[str] | Manifest | None, library: str | Library | None
) -> Library | None:
    from visgen.model import Library, Manifest

    if isinstance(library, Library):
        return library
    if manifest is None:
        return None
    if not isinstance(manifest, Manifest):
        from visgen.manifest import load_manifest

        manifest = load_manifest(Path(os.fspath(manifest)))
    return manifest.library(library)


# -- the public objects ----------------------------------------------------------------------


class TableFunction:
    """A function of the table, called through :mod:`ctypes`; refuses calls after close.

    ``raw`` is the plain ctypes function pointer (for handing to other C code); it is not
    guarded, so it must not be used after the library is closed.
    """

    __slots__ = ("_owner", "address", "name", "raw")

    def __init__(self, owner: RegisteredLibrary, name: str, raw: Any, address: int) -> None:
        self._owner = owner
        self.name = name
        self.raw = raw
        self.address = address

    def __call__(self, *args: Any) -> Any:
        self._owner._check_open(f"call {self.name}()")  # noqa: SLF001 (a friend class)
        return self.raw(*args)

    def __repr__(self) -> str:
        return f"<TableFunction {self.name} at {self.address:#x}>"


class RegisteredLibrary:
    """One load of a registered library; made by :func:`load_registered`.

    Use it as a context manager, or call :meth:`close` exactly once. Every accessor raises
    :class:`LibraryClosedError` after close.
    """

    def __init__(
        self,
        state: _Handle,
        table: dict[str, int],
        library: Library | None,
        mode: int,
    ) -> None:
        self._state: _Handle | None = state
        self._table = table
        self._view: Mapping[str, int] = types.MappingProxyType(table)
        self.path: str = state.path
        """The file as it was handed to dlopen."""
        self.library: Library | None = library
        """The manifest entry the table was checked against, if any."""
        self.mode: int = mode
        """The ``RTLD_*`` flags of this load."""
        self.init_name: str = state.init_name
        self.destroy_name: str = state.destroy_name

    # -- state -----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._state is None

    def _check_open(self, what: str) -> _Handle:
        state = self._state
        if state is None:
            msg = f"{self.path}: cannot {what}: the library was closed (destroy has run and it was unloaded)"
            raise LibraryClosedError(msg)
        return state

    @property
    def handle(self) -> int:
        """The ``dlopen`` handle (shared by every open load of the same file)."""
        return self._check_open("read the handle").handle

    # -- the table ------------------------------------------------------------------------

    @property
    def symbols(self) -> Mapping[str, int]:
        """The registration table: ``{linkage name: address}``, read-only.

        A mapping kept past :meth:`close` turns empty, so no stale address survives.
        """
        self._check_open("read the symbol table")
        return self._view

    def address(self, name: str) -> int:
        """The address ``name`` was registered with (a linkage name: mangled for C++)."""
        self._check_open(f"look up {name!r}")
        try:
            return self._table[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._table), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            msg = f"{self.path}: the registration table has no {name!r} ({len(self._table)} names){hint}"
            raise SymbolNotFoundError(msg) from None

    def function(
        self,
        name: str,
        restype: Any = ctypes.c_int,
        argtypes: Sequence[Any] = (),
    ) -> TableFunction:
        """A callable for the function ``name`` with a C prototype ``restype(argtypes...)``.

        ``restype=None`` is ``void``. The prototype is not checked against anything:
        a wrong one is undefined behaviour, as with any :mod:`ctypes` call.
        """
        addr = self.address(name)
        proto = ctypes.CFUNCTYPE(restype, *argtypes)
        return TableFunction(self, name, proto(addr), addr)

    def data(self, name: str, ctype: type[_CData]) -> _CData:
        """The data object ``name`` seen as a ``ctype`` living in the library's memory.

        Valid only while the library is open (it points into the library's mapping).
        """
        return cast("_CData", ctype.from_address(self.address(name)))

    # -- closing ----------------------------------------------------------------------------

    def close(self, *, destroy: bool = True) -> None:
        """Call destroy (if this is the last open load of the file), then ``dlclose``.

        A second call raises :class:`LibraryClosedError`. ``destroy=False`` skips the
        destroy call: only for hosts that called it themselves, or to demonstrate what
        unloading a library with running threads does.
        """
        with _LOCK:
            state = self._check_open("close it again")
            self._state = None
            state.loads.remove(self)
            last = not state.loads
            error: BaseException | None = None
            if last:
                del _HANDLES[state.handle]
                if destroy:
                    try:
                        state.destroy()
                    except BaseException as exc:  # noqa: BLE001 (still unload, then re-raise)
                        error = exc
            self._table.clear()
            try:
                _dlclose(state.handle)
            except OSError as exc:
                msg = f"{self.path}: dlclose failed: {exc}"
                raise RuntimeLoadError(msg) from error or exc
            if error is not None:
                raise error

    def __enter__(self) -> Self:
        self._check_open("enter a with block")
        return self

    def __exit__(self, *exc_info: object) -> None:
        # An explicit close() inside the block is fine; leaving the block closes otherwise.
        if not self.closed:
            self.close()

    def __iter__(self) -> Iterator[str]:
        return iter(self.symbols)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self._table)} symbols"
        return f"<RegisteredLibrary {self.path} ({state})>"


def load_registered(
    path: str | os.PathLike[str],
    *,
    manifest: str | os.PathLike[str] | Manifest | None = None,
    library: str | Library | None = None,
    init: str | None = None,
    destroy: str | None = None,
    abi: Literal["c", "mlir"] | None = None,
    mode: Mode | int = "local",
    platform: Platform | None = None,
) -> RegisteredLibrary:
    """Load the registered library at ``path`` and collect its registration table.

    :param path: the ``.so``/``.dylib``/``.dll`` file (an existing file is opened by its
        absolute path; anything else is handed to the loader's search as is).
    :param manifest: a manifest file or :class:`~visgen.model.Manifest`; with it, init and
        destroy names and the abi come from ``[library.X.registration]``, and the table is
        checked: every exact export that applies to ``platform`` must be in it, and every
        non-optional glob or C++ pattern must match at least one name of it.
    :param library: the manifest entry (a name, or a :class:`~visgen.model.Library`);
        without a manifest, a name only gives the default ``__<name>_init`` and
        ``__<name>_destroy``.
    :param init: the init function's name (overrides the manifest and the default).
    :param destroy: the destroy function's name (same).
    :param abi: ``"c"`` (default: the manifest's, else ``"c"``); ``"mlir"`` libraries take
        an ``llvm::StringMap<void*>&`` that ctypes cannot build, and are refused.
    :param mode: ``"local"`` (``RTLD_LOCAL``, the default: the library's symbols do not
        leak into the process's global scope), ``"global"`` (``RTLD_GLOBAL``), or raw
        ``RTLD_*`` flags. ``RTLD_NOW`` is always added.
    :param platform: the platform whose export groups the table is checked against
        (default: this one).
    :raises RuntimeLoadError: the file cannot be loaded (with the loader's reason), init or
        destroy is missing, init breaks the protocol, the table lacks a declared export,
        or the abi is ``"mlir"``.
    """
    lib = _resolve_library(manifest, library)
    lib_name = lib.name if lib is not None else library if isinstance(library, str) else None
    reg = lib.registration if lib is not None else None
    chosen_abi: str = abi or (reg.abi if reg is not None else "c")
    if chosen_abi == "mlir":
        msg = (
            f"{os.fspath(path)}: registration abi 'mlir' is `void init(llvm::StringMap<void*> &)`, "
            "a C++ reference ctypes cannot build; load it from C++ (MLIR's ExecutionEngine, "
            'mlir-runner --shared-libs) or set abi = "c" in [library.X.registration]'
        )
        raise RuntimeLoadError(msg)
    if chosen_abi != "c":
        msg = f"abi must be 'c' or 'mlir', not {chosen_abi!r}"
        raise RuntimeLoadError(msg)
    init_name = init or (reg.init if reg is not None else None)
    destroy_name = destroy or (reg.destroy if reg is not None else None)
    if lib_name is not None:
        init_name = init_name or f"__{lib_name.replace('-', '_')}_init"
        destroy_name = destroy_name or f"__{lib_name.replace('-', '_')}_destroy"
    if init_name is None or destroy_name is None:
        msg = (
            f"{os.fspath(path)}: cannot tell the init/destroy names; pass manifest= and "
            "library=, library= (for the defaults __<name>_init/__<name>_destroy), or init= "
            "and destroy="
        )
        raise RuntimeLoadError(msg)
    flags = _mode_flags(mode)
    name = _dl_name(path)
    with _LOCK:
        try:
            handle = _dlopen(name, flags)
        except OSError as exc:
            msg = f"{name}: cannot be loaded: {exc}"
            raise RuntimeLoadError(msg) from None
        try:
            return _attach(handle, name, lib, init_name, destroy_name, flags, platform)
        except BaseException:
            _dlclose(handle)  # drop this load's reference; an open load keeps its own
            raise


def _attach(  # noqa: PLR0917 (one private call site)
    handle: int,
    name: str,
    lib: Library | None,
    init_name: str,
    destroy_name: str,
    flags: int,
    platform: Platform | None,
) -> RegisteredLibrary:
    """Under the lock: init the handle (or join its open loads), check, make the load."""
    state = _HANDLES.get(handle)
    if state is not None:
        if (state.init_name, state.destroy_name) != (init_name, destroy_name):
            msg = (
                f"{name}: already loaded in this process with {state.init_name}/"
                f"{state.destroy_name}, not {init_name}/{destroy_name}"
            )
            raise RuntimeLoadError(msg)
        table = dict(state.table)
        _check_table(table, lib, name, init_name, platform)
    else:
        init_addr = _dlsym(handle, init_name)
        destroy_addr = _dlsym(handle, destroy_name)
        if init_addr is None or destroy_addr is None:
            missing = [
                n for n, a in ((init_name, init_addr), (destroy_name, destroy_addr)) if a is None
            ]
            names = " and ".join(f"{n}()" for n in missing)
            msg = (
                f"{name}: exports no {names}; it is probably a plain `shared` variant (or a "
                "static build); load the `registered` or `shared-registered` variant, or "
                "pass the right init=/destroy= names"
            )
            raise RuntimeLoadError(msg)
        init_fn = _INIT_PROTO(init_addr)
        destroy_fn = _DESTROY_PROTO(destroy_addr)
        try:
            table = _run_init(init_fn, name, init_name)
            _check_table(table, lib, name, init_name, platform)
        except BaseException:
            destroy_fn()  # init ran (maybe halfway): tear its state down before unloading
            raise
        state = _Handle(handle, name, init_name, destroy_name, destroy_fn, dict(table))
        _HANDLES[handle] = state
    load = RegisteredLibrary(state, table, lib, flags)
    state.loads.append(load)
    return load


def _check_table(
    table: Mapping[str, int],
    lib: Library | None,
    name: str,
    init_name: str,
    platform: Platform | None,
) -> None:
    if lib is None:
        return
    plat = platform or current_platform()
    missing = _missing_exports(table, lib.entries_for(plat))
    if missing:
        msg = (
            f"{name}: the table {init_name}() registered lacks {len(missing)} export(s) that "
            f"library {lib.name!r} declares for {plat} (a stale build, or a registration "
            "source generated from another manifest?):\n" + "\n".join(f"  {m}" for m in missing)
        )
        raise RuntimeLoadError(msg)
