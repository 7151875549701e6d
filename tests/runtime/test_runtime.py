"""visgen.runtime against a real compiled library, real dlopen and real dlclose."""

from __future__ import annotations

import _ctypes
import ctypes
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from visgen.errors import VisgenError
from visgen.manifest import load_manifest
from visgen.runtime import (
    LibraryClosedError,
    RegisteredLibrary,
    RuntimeLoadError,
    SymbolNotFoundError,
    TableFunction,
    is_loaded,
    load_registered,
)

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = [
    pytest.mark.toolchain,
    pytest.mark.skipif(sys.platform != "linux", reason="builds an ELF .so with gcc"),
]

REPO = Path(__file__).resolve().parents[2]


def hook_lines(log: Path) -> list[str]:
    return log.read_text().splitlines()


def call_int(lib: RegisteredLibrary, name: str, *args: int) -> int:
    fn = lib.function(name, restype=ctypes.c_int, argtypes=[ctypes.c_int] * len(args))
    result = fn(*args)
    assert isinstance(result, int)
    return result


# -- the happy path ----------------------------------------------------------------------


def test_load_collects_table_and_unloads(
    build_rtlib: Callable[..., Path], manifest_path: Path, rt_log: Path
) -> None:
    so = build_rtlib()
    with load_registered(so, manifest=manifest_path, library="rt") as lib:
        assert isinstance(lib, RegisteredLibrary)
        assert set(lib.symbols) == {
            "rt_add",
            "rt_alive",
            "rt_init_calls",
            "rt_destroy_calls",
            "rt_push",
            "rt_sum",
            "rt_version",
            "rt_pat_a",
            "rt_pat_b",
            "_ZN2rt6Widget4pokeEv",
        }
        assert all(isinstance(a, int) and a for a in lib.symbols.values())
        assert lib.address("rt_add") == lib.symbols["rt_add"]
        assert call_int(lib, "rt_add", 2, 40) == 42
        assert call_int(lib, "rt_alive") == 1
        assert call_int(lib, "rt_push", 5) == 1
        assert call_int(lib, "rt_push", 7) == 2
        assert call_int(lib, "rt_sum") == 12
        assert lib.data("rt_version", ctypes.c_int).value == 42
        assert call_int(lib, "_ZN2rt6Widget4pokeEv") == 3
        assert is_loaded(so)
        assert hook_lines(rt_log) == ["rt init"]
        with pytest.raises(TypeError):
            lib.symbols["rt_add"] = 1  # type: ignore[index]
    assert hook_lines(rt_log) == ["rt init", "rt destroy"]
    assert not is_loaded(so)


def test_names_from_library_default_and_explicit(
    build_rtlib: Callable[..., Path], rt_log: Path
) -> None:
    so = build_rtlib()
    with load_registered(so, library="rt") as lib:
        assert lib.init_name == "__rt_init"
        assert lib.destroy_name == "__rt_destroy"
        assert lib.library is None
    with load_registered(so, init="__rt_init", destroy="__rt_destroy") as lib:
        assert call_int(lib, "rt_add", 1, 1) == 2
    assert hook_lines(rt_log) == ["rt init", "rt destroy"] * 2


def test_manifest_object_and_library_object(
    build_rtlib: Callable[..., Path], manifest_path: Path
) -> None:
    manifest = load_manifest(manifest_path)
    with load_registered(build_rtlib(), manifest=manifest) as lib:  # the only library
        assert lib.library is not None
        assert lib.library.name == "rt"
    with load_registered(build_rtlib(), library=manifest.library("rt")) as lib:
        assert lib.library is manifest.library("rt")


def test_function_and_raw_pointer(build_rtlib: Callable[..., Path]) -> None:
    with load_registered(build_rtlib(), library="rt") as lib:
        fn = lib.function("rt_add", restype=ctypes.c_int, argtypes=[ctypes.c_int, ctypes.c_int])
        assert isinstance(fn, TableFunction)
        assert fn.address == lib.symbols["rt_add"]
        assert fn.raw(3, 4) == 7
        assert "rt_add" in repr(fn)
        assert "10 symbols" in repr(lib)


def test_unknown_name_suggests(build_rtlib: Callable[..., Path]) -> None:
    with load_registered(build_rtlib(), library="rt") as lib:
        with pytest.raises(SymbolNotFoundError, match=r"no 'rt_ad'.*did you mean rt_add"):
            lib.address("rt_ad")
        with pytest.raises(LookupError):
            lib.function("nope")


# -- sequential and concurrent loads ------------------------------------------------------


def test_sequential_loads_reinit_after_true_unload(
    build_rtlib: Callable[..., Path], rt_log: Path
) -> None:
    so = build_rtlib()
    for _ in range(3):
        with load_registered(so, library="rt") as lib:
            # a fresh mapping each time: the counters start again from zero
            assert call_int(lib, "rt_init_calls") == 1
            assert call_int(lib, "rt_destroy_calls") == 0
            assert call_int(lib, "rt_sum") == 0
            call_int(lib, "rt_push", 9)
        assert not is_loaded(so)
    assert hook_lines(rt_log) == ["rt init", "rt destroy"] * 3


def test_reinit_in_the_same_mapping(build_rtlib: Callable[..., Path], rt_log: Path) -> None:
    """Another holder of the library keeps it mapped: destroy then init re-creates state."""
    so = build_rtlib(lib="rtkeep")
    keeper = _ctypes.dlopen(str(so), os.RTLD_NOW)  # an outside dlopen reference
    try:
        with load_registered(so, library="rtkeep") as lib:
            call_int(lib, "rt_push", 1)
            assert call_int(lib, "rt_sum") == 1
        assert is_loaded(so)  # still mapped by the keeper
        with load_registered(so, library="rtkeep") as lib:
            assert call_int(lib, "rt_init_calls") == 2
            assert call_int(lib, "rt_destroy_calls") == 1
            assert call_int(lib, "rt_alive") == 1
            assert call_int(lib, "rt_sum") == 0  # the state was re-created, not kept
    finally:
        _ctypes.dlclose(keeper)
    assert hook_lines(rt_log) == ["rtkeep init", "rtkeep destroy"] * 2
    assert not is_loaded(so)


def test_two_hosts_overlapping(build_rtlib: Callable[..., Path], rt_log: Path) -> None:
    so = build_rtlib()
    first = load_registered(so, library="rt")
    call_int(first, "rt_push", 5)
    second = load_registered(so, library="rt")
    # the same handle, no second init: the second host shares the live state
    assert second.handle == first.handle
    assert second.symbols == first.symbols
    assert second.symbols is not first.symbols
    assert call_int(second, "rt_init_calls") == 1
    assert call_int(second, "rt_sum") == 5
    assert hook_lines(rt_log) == ["rt init"]
    first.close()  # not the last load: no destroy, the state stays for the second host
    assert hook_lines(rt_log) == ["rt init"]
    assert call_int(second, "rt_alive") == 1
    assert call_int(second, "rt_push", 6) == 2
    with pytest.raises(LibraryClosedError):
        first.symbols  # noqa: B018
    second.close()  # the last one: destroy, then the final dlclose
    assert hook_lines(rt_log) == ["rt init", "rt destroy"]
    assert not is_loaded(so)


def test_two_hosts_on_threads(build_rtlib: Callable[..., Path], rt_log: Path) -> None:
    so = build_rtlib()
    errors: list[str] = []
    barrier = threading.Barrier(8)

    def host() -> None:
        barrier.wait()
        for _ in range(25):
            with load_registered(so, library="rt") as lib:
                if call_int(lib, "rt_alive") != 1:
                    errors.append("state gone while a host had the library open")
                if call_int(lib, "rt_destroy_calls") >= call_int(lib, "rt_init_calls") + 1:
                    errors.append("destroy ran more often than init")

    threads = [threading.Thread(target=host) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    lines = hook_lines(rt_log)
    assert lines.count("rt init") == lines.count("rt destroy") >= 1
    # init and destroy alternate: never two inits without a destroy between them
    assert lines == ["rt init", "rt destroy"] * (len(lines) // 2)
    assert not is_loaded(so)


def test_rtld_local_and_global(build_rtlib: Callable[..., Path]) -> None:
    local_so = build_rtlib(lib="rtlocal")
    with load_registered(local_so, library="rtlocal") as lib:
        assert lib.mode & os.RTLD_GLOBAL == 0
        assert not hasattr(ctypes.CDLL(None), "__rtlocal_init")
    global_so = build_rtlib(lib="rtglobal")
    with load_registered(global_so, library="rtglobal", mode="global") as lib:
        assert lib.mode & os.RTLD_GLOBAL
        assert hasattr(ctypes.CDLL(None), "__rtglobal_init")
    assert not is_loaded(global_so)
    with load_registered(global_so, library="rtglobal", mode=os.RTLD_GLOBAL) as lib:
        assert lib.mode == os.RTLD_GLOBAL
    with pytest.raises(RuntimeLoadError, match="mode must be"):
        load_registered(global_so, library="rtglobal", mode="everywhere")  # type: ignore[arg-type]


# -- closing ----------------------------------------------------------------------------------


def test_use_after_close(build_rtlib: Callable[..., Path]) -> None:
    lib = load_registered(build_rtlib(), library="rt")
    kept = lib.symbols
    add = lib.function("rt_add", argtypes=[ctypes.c_int, ctypes.c_int])
    lib.close()
    assert lib.closed
    assert dict(kept) == {}  # no stale address survives in a kept mapping
    for use in (
        lambda: lib.symbols,
        lambda: lib.address("rt_add"),
        lambda: lib.function("rt_add"),
        lambda: lib.data("rt_version", ctypes.c_int),
        lambda: lib.handle,
        lambda: add(1, 2),
        lib.__enter__,
    ):
        with pytest.raises(LibraryClosedError, match="closed"):
            use()
    assert "closed" in repr(lib)


def test_double_close(build_rtlib: Callable[..., Path], rt_log: Path) -> None:
    lib = load_registered(build_rtlib(), library="rt")
    lib.close()
    with pytest.raises(LibraryClosedError, match="close it again"):
        lib.close()
    assert hook_lines(rt_log) == ["rt init", "rt destroy"]


def test_close_inside_with_block(build_rtlib: Callable[..., Path], rt_log: Path) -> None:
    with load_registered(build_rtlib(), library="rt") as lib:
        lib.close()
    assert hook_lines(rt_log) == ["rt init", "rt destroy"]


def test_close_without_destroy(build_rtlib: Callable[..., Path], rt_log: Path) -> None:
    so = build_rtlib()
    load_registered(so, library="rt").close(destroy=False)
    assert hook_lines(rt_log) == ["rt init"]
    assert not is_loaded(so)


def test_open_library_is_closed_at_exit(build_rtlib: Callable[..., Path], rt_log: Path) -> None:
    code = textwrap.dedent(
        f"""
        from visgen.runtime import load_registered
        lib = load_registered({str(build_rtlib())!r}, library="rt")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
    assert hook_lines(rt_log) == ["rt init", "rt destroy"]


# -- errors --------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeLoadError, match=r"cannot be loaded: .*No such file"):
        load_registered(tmp_path / "libnothere.so", library="rt")


def test_not_a_library(tmp_path: Path) -> None:
    bogus = tmp_path / "libbogus.so"
    bogus.write_text("not an ELF file\n" * 100)
    with pytest.raises(RuntimeLoadError, match=r"cannot be loaded: .*(ELF|too short)"):
        load_registered(bogus, library="rt")


def test_unresolved_dependency(build_rtlib: Callable[..., Path]) -> None:
    so = build_rtlib("UNDEFINED")
    with pytest.raises(RuntimeLoadError, match="undefined symbol: rt_function_nobody_defines"):
        load_registered(so, library="rt")
    assert not is_loaded(so)


def test_plain_shared_variant(build_rtlib: Callable[..., Path], manifest_path: Path) -> None:
    so = build_rtlib("NO_REGISTRATION")
    with pytest.raises(RuntimeLoadError) as info:
        load_registered(so, manifest=manifest_path, library="rt")
    message = str(info.value)
    assert "__rt_init() and __rt_destroy()" in message
    assert "plain `shared` variant" in message
    assert not is_loaded(so)


def test_destroy_missing(build_rtlib: Callable[..., Path], rt_log: Path) -> None:
    so = build_rtlib("NO_DESTROY")
    with pytest.raises(RuntimeLoadError, match=r"exports no __rt_destroy\(\); .*plain `shared`"):
        load_registered(so, library="rt")
    assert hook_lines(rt_log) == []  # init is not called when destroy cannot be
    assert not is_loaded(so)


def test_missing_declared_export(
    build_rtlib: Callable[..., Path], manifest_path: Path, rt_log: Path
) -> None:
    so = build_rtlib("OMIT_PUSH")
    with pytest.raises(RuntimeLoadError) as info:
        load_registered(so, manifest=manifest_path, library="rt")
    message = str(info.value)
    assert "lacks 1 export(s)" in message
    assert "  rt_push (symbol; " in message
    assert "visgen.toml:" in message
    # optional and other-platform entries are never required
    assert "rt_debug_dump" not in message
    assert "rt_windows_only" not in message
    # init ran, so destroy ran before the unload
    assert hook_lines(rt_log) == ["rt init", "rt destroy"]
    assert not is_loaded(so)
    # without a manifest, nothing is required
    with load_registered(so, library="rt") as lib:
        assert "rt_push" not in lib.symbols


def test_unmatched_patterns(build_rtlib: Callable[..., Path], manifest_path: Path) -> None:
    so = build_rtlib("OMIT_PATTERNS")
    with pytest.raises(RuntimeLoadError) as info:
        load_registered(so, manifest=manifest_path, library="rt")
    message = str(info.value)
    assert "lacks 2 export(s)" in message
    assert "rt_pat_* (glob matching nothing in the table" in message
    assert "rt::Widget::* (C++ pattern matching nothing in the table" in message


def test_windows_group_is_checked_for_windows(
    build_rtlib: Callable[..., Path], manifest_path: Path
) -> None:
    with pytest.raises(RuntimeLoadError, match="rt_windows_only"):
        load_registered(build_rtlib(), manifest=manifest_path, platform="windows")


def test_bad_ctx(build_rtlib: Callable[..., Path], rt_log: Path) -> None:
    so = build_rtlib("BAD_CTX")
    with pytest.raises(RuntimeLoadError, match=r"broke the registration protocol:\n.*ctx"):
        load_registered(so, library="rt")
    assert hook_lines(rt_log) == ["rt init", "rt destroy"]


def test_duplicate_registration(build_rtlib: Callable[..., Path]) -> None:
    so = build_rtlib("DUPLICATE")
    with pytest.raises(RuntimeLoadError, match="registered 'rt_add' twice"):
        load_registered(so, library="rt")


def test_names_unknown(build_rtlib: Callable[..., Path]) -> None:
    with pytest.raises(RuntimeLoadError, match="cannot tell the init/destroy names"):
        load_registered(build_rtlib())


def test_mlir_abi_refused(build_rtlib: Callable[..., Path], tmp_path: Path) -> None:
    with pytest.raises(RuntimeLoadError, match=r"llvm::StringMap.*ctypes cannot"):
        load_registered(build_rtlib(), library="rt", abi="mlir")
    manifest = tmp_path / "mlir.toml"
    manifest.write_text(
        'schema = 1\n[library.rt]\nvariants = ["registered"]\n'
        '[library.rt.registration]\nabi = "mlir"\n'
    )
    with pytest.raises(RuntimeLoadError, match="abi 'mlir'"):
        load_registered(build_rtlib(), manifest=manifest)


def test_second_host_with_other_names(build_rtlib: Callable[..., Path]) -> None:
    so = build_rtlib()
    with load_registered(so, library="rt") as lib:
        with pytest.raises(RuntimeLoadError, match="already loaded in this process"):
            load_registered(so, init="__rt_init", destroy="__other_destroy")
        assert call_int(lib, "rt_alive") == 1
    assert not is_loaded(so)


def test_errors_are_visgen_errors() -> None:
    assert issubclass(RuntimeLoadError, VisgenError)
    assert issubclass(LibraryClosedError, RuntimeLoadError)
    assert issubclass(SymbolNotFoundError, LookupError)
