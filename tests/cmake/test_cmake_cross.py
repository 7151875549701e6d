"""The Windows and Apple branches of the CMake module, built on Linux by cross toolchains.

tests/cmake/projects/cross (the basic project's library, consumers and plugin) is
configured and built with tests/cmake/toolchains/mingw-w64.cmake (x86_64-w64-mingw32 GCC
and binutils) and with tests/cmake/toolchains/macos-ld64-lld.cmake (clang for
arm64-apple-macos11, ld64.lld, no SDK). Nothing built can run here, so the export tables
are the oracle: ``objdump -p`` for the DLLs, ``llvm-objdump --macho --exports-trie`` for the
dylibs. The post-link ``visgen check`` reads ELF only and is not wired on these platforms.

Both toolchains keep ``CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY`` as a real cross toolchain
does, so visgen (a tool of the build host) is found through ``visgen_DIR``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.cmake, pytest.mark.toolchain]

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TOOLCHAINS = HERE / "toolchains"

EXPORTS = {
    "demo_add",
    "demo_counter_next",
    "demo_counter_reset",
    "demo_version",
    "demo_mul",
    "_ZN4demo5ShapeC1Ei",
    "_ZN4demo5ShapeC2Ei",
    "_ZNK4demo5Shape5sidesEv",
}
REGISTRATION = {"__demo_init", "__demo_destroy"}
PLUGIN = {"plugin_entry", "plugin_entry_v2"}

MINGW = "x86_64-w64-mingw32"
OBJDUMP = f"{MINGW}-objdump"


def _cmake() -> str:
    for candidate in ("/usr/bin/cmake", str(Path(sys.executable).parent / "cmake")):
        if Path(candidate).is_file():
            return candidate
    pytest.skip("needs cmake (apt-get install cmake, or pip install cmake)")


def _require(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool} (install it with scripts/_setup.sh or apt-get)")


def run(cmd: list[str | Path], *, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False)
    if ok and proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def cross_build(tmp_path: Path, toolchain: str, *extra: str) -> tuple[Path, Path, str]:
    """Copy the projects, configure the cross project with ``toolchain``, build it all.

    Returns (the copied basic project, the build tree, the cmake used).
    """
    cmake = _cmake()
    _require("ninja")
    projects = tmp_path / "projects"
    for name in ("basic", "cross"):
        shutil.copytree(HERE / "projects" / name, projects / name)
    build = tmp_path / "build"
    run(
        [
            cmake,
            "-S",
            projects / "cross",
            "-B",
            build,
            "-G",
            "Ninja",
            f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAINS / toolchain}",
            f"-Dvisgen_DIR={ROOT / 'cmake'}",
            f"-DPython_EXECUTABLE={sys.executable}",
            *extra,
        ]
    )
    run([cmake, "--build", build])
    return projects / "basic", build, cmake


# -- Windows (mingw-w64) -------------------------------------------------------------------


def pe_exports(dll: Path) -> dict[str, str]:
    """``objdump -p``: exported name -> the section its RVA lies in (``.text``, ``.rdata``)."""
    out = run([OBJDUMP, "-p", dll]).stdout
    base = re.search(r"^ImageBase\s+([0-9a-fA-F]+)", out, re.MULTILINE)
    assert base, out
    image_base = int(base.group(1), 16)
    rvas: dict[int, int] = {}
    names: dict[str, int] = {}
    table = ""
    for line in out.splitlines():
        if line.startswith("Export Address Table --"):
            table = "rva"
        elif line.startswith("[Ordinal/Name Pointer] Table"):
            table = "names"
        elif not line.strip():
            table = ""
        elif table == "rva" and (m := re.match(r"\s*\[\s*(\d+)\] \+base\[\s*\d+\]\s+(\w+)", line)):
            rvas[int(m.group(1))] = int(m.group(2), 16)
        elif table == "names" and (m := re.match(r"\s*\[\s*(\d+)\] (\S+)", line)):
            names[m.group(2)] = int(m.group(1))
    sections = []
    for line in run([OBJDUMP, "-h", dll]).stdout.splitlines():
        if m := re.match(r"\s*\d+ (\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line):
            start = int(m.group(3), 16) - image_base
            sections.append((m.group(1), start, start + int(m.group(2), 16)))
    return {
        name: next((s for s, lo, hi in sections if lo <= rvas[i] < hi), "?")
        for name, i in names.items()
    }


def imported_dlls(exe: Path) -> set[str]:
    out = run([OBJDUMP, "-p", exe]).stdout
    return set(re.findall(r"DLL Name: (\S+)", out))


def test_mingw_w64(tmp_path: Path) -> None:
    """A DLL per DSO variant, an import library per DLL and a static library, all from one
    visgen_add_library; visgen_apply on a MODULE; consumers through the import library."""
    _require(f"{MINGW}-gcc", f"{MINGW}-g++", OBJDUMP, f"{MINGW}-nm")
    basic, build, cmake = cross_build(tmp_path, "mingw-w64.cmake")
    # CMAKE_NM (the target's nm) reads COFF: visgen resolves with it
    assert f"--nm /usr/bin/{MINGW}-nm" in (build / "build.ninja").read_text()

    shared = pe_exports(build / "libdemo.dll")
    assert set(shared) == EXPORTS
    assert shared["demo_version"] != ".text"  # the data object itself, from a data section
    assert shared["demo_add"] == ".text"
    assert set(pe_exports(build / "libdemo_registered.dll")) == REGISTRATION
    assert set(pe_exports(build / "libdemo_shared_registered.dll")) == EXPORTS | REGISTRATION
    assert set(pe_exports(build / "libplugin.dll")) == PLUGIN

    # import libraries beside the DLLs, the static library under its own name
    implib = run([f"{MINGW}-nm", build / "libdemo.dll.a"]).stdout
    assert " I __imp_demo_version" in implib
    assert " T demo_version" not in implib  # exported DATA: no code thunk
    assert " T demo_add" in implib
    for key in ("registered", "shared_registered"):
        assert (build / f"libdemo_{key}.dll.a").is_file()

    # the static library's objects define every name and carry no dllexport directive
    archive = build / "libdemo_static.a"
    defined = run([f"{MINGW}-nm", "--defined-only", archive]).stdout
    assert set(re.findall(r" [TDRB] (\S+)$", defined, re.MULTILINE)) >= EXPORTS
    directives = run([OBJDUMP, "-s", "-j", ".drectve", archive], ok=False)
    assert "-export:" not in directives.stdout

    assert "libdemo.dll" in imported_dlls(build / "consumer_shared.exe")
    assert not any("demo" in dll for dll in imported_dlls(build / "consumer_static.exe"))
    bad = run([cmake, "--build", build, "--target", "bad_consumer"], ok=False)
    assert bad.returncode != 0
    assert "demo_internal_helper" in bad.stdout + bad.stderr

    # the .def alone decides: the counters keep DEMO_EXPORT in demo.h, yet once the
    # manifest drops them the rebuilt DLL no longer exports them
    manifest = basic / "visgen.toml"
    manifest.write_text(manifest.read_text().replace('globs = ["demo_counter_*"]\n', ""))
    run([cmake, "--build", build])
    assert set(pe_exports(build / "libdemo.dll")) == EXPORTS - {
        "demo_counter_next",
        "demo_counter_reset",
    }


# -- macOS (clang, ld64.lld) ---------------------------------------------------------------


def exports_trie(dylib: Path) -> set[str]:
    """``llvm-objdump --macho --exports-trie``: the exported names, as in the object."""
    out = run(["llvm-objdump", "--macho", "--exports-trie", dylib]).stdout
    return {
        fields[1]
        for fields in map(str.split, out.splitlines())
        if len(fields) >= 2 and fields[0].startswith("0x")
    }


def _macho(names: set[str]) -> set[str]:
    return {f"_{name}" for name in names}


def test_macos_ld64_lld(tmp_path: Path) -> None:
    """The DSO variants as dylibs with the generated exported-symbols lists, a static
    archive, a MODULE through visgen_apply, consumers linked against the dylib."""
    _require("clang", "clang++", "llvm-objdump", "llvm-nm", "llvm-ar", "llvm-ranlib")
    if not any(Path(d, "ld64.lld").exists() for d in ("/usr/bin", "/usr/lib/llvm-14/bin")):
        _require("ld64.lld")
    gnu_nm = shutil.which("nm")
    # a CMAKE_NM that cannot read Mach-O (GNU nm of the Linux host): visgen takes llvm-nm
    extra = (f"-DCMAKE_NM={gnu_nm}",) if gnu_nm else ()
    _, build, cmake = cross_build(tmp_path, "macos-ld64-lld.cmake", *extra)
    if gnu_nm:
        nm_args = set(re.findall(r"--nm (\S+)", (build / "build.ninja").read_text()))
        assert nm_args
        assert all(Path(nm).name.startswith("llvm-nm") for nm in nm_args), nm_args

    assert exports_trie(build / "libdemo.dylib") == _macho(EXPORTS)
    assert exports_trie(build / "libdemo_registered.dylib") == _macho(REGISTRATION)
    assert exports_trie(build / "libdemo_shared_registered.dylib") == _macho(EXPORTS | REGISTRATION)
    assert exports_trie(build / "libplugin.so") == _macho(PLUGIN)  # CMake's MODULE suffix

    # the archive defines every name, each private external (hidden): a dylib that links
    # it exports none of them
    members = run(["llvm-nm", "-m", "--defined-only", build / "libdemo.a"]).stdout
    for name in _macho(EXPORTS):
        line = next((x for x in members.splitlines() if x.endswith(f" {name}")), "")
        assert "private external" in line, (name, members)

    used = run(["llvm-objdump", "--macho", "--dylibs-used", build / "consumer_shared"]).stdout
    assert f"{build}/libdemo.dylib" in used
    bad = run([cmake, "--build", build, "--target", "bad_consumer"], ok=False)
    assert bad.returncode != 0
    assert "_demo_internal_helper" in bad.stdout + bad.stderr
