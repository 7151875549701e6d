"""Windows: DLLs from the generated header and .def, with mingw-w64 and with lld-link.

The export table is read with ``objdump -p``; data objects must be exported ``DATA``
(no code thunk in the import library) from a data section; a static build exports
nothing; a consumer that uses a name the manifest does not export fails to link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gen._toolchain import ASYNCRT, fails, generate_ok, pe_exports, require, run

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.toolchain

MINGW = "gcc-mingw-w64-x86-64-win32 g++-mingw-w64-x86-64-win32"
CC = "x86_64-w64-mingw32-gcc"
CXX = "x86_64-w64-mingw32-g++"
OBJDUMP = "x86_64-w64-mingw32-objdump"
C_EXPORTS = {
    "asyncrtCreateToken": ".text",
    "asyncrtInitCount": ".text",
    "asyncrtRuntimeStart": ".text",
    "asyncrtRuntimeStop": ".text",
    "asyncrt_version": ".data",
    "asyncrtTrace": ".text",
    "asyncrtCancel": ".text",
    "asyncrtOld": ".text",
}
EXPORTS = {
    **C_EXPORTS,
    "_ZN7asyncrt7Runtime5startEv": ".text",
    "_ZN7asyncrt7Runtime4stopEv": ".text",
}


@pytest.fixture(scope="module")
def mingw(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    for tool in (CC, CXX, OBJDUMP):
        require(tool, MINGW)
    require("llvm-nm", "llvm")
    root = tmp_path_factory.mktemp("mingw")
    inc = root / "inc"
    generate_ok(
        ASYNCRT / "visgen.toml", "--out", inc, "--platform", "windows", "--variant", "static"
    )
    paths = {"root": root, "inc": inc}
    # the .def alone must decide: the export macro is overridden to nothing (#ifndef)
    for mode, flags in {
        "def": ["-Dasyncrt_EXPORTS", "-DASYNCRT_EXPORT="],
        "static": ["-DASYNCRT_STATIC_DEFINE"],
    }.items():
        for src, cc in (("runtime.c", CC), ("runtime.cpp", CXX)):
            obj = root / f"{mode}-{src}.o"
            run(
                [
                    cc,
                    "-O1",
                    "-Wall",
                    "-Wextra",
                    "-Werror",
                    "-c",
                    *flags,
                    f"-I{inc}",
                    f"-I{ASYNCRT}",
                    ASYNCRT / src,
                    "-o",
                    obj,
                ]
            )
            paths[f"{mode}-{src}"] = obj
    return paths


def _dll(mingw: dict[str, Path], tmp_path: Path, variant: str) -> tuple[Path, Path]:
    mode = "static" if variant == "registered" else "def"
    objects = [mingw[f"{mode}-runtime.c"], mingw[f"{mode}-runtime.cpp"]]
    out = tmp_path / "gen"
    generate_ok(
        ASYNCRT / "visgen.toml",
        "--out",
        out,
        "--platform",
        "windows",
        "--variant",
        variant,
        "--objects",
        *objects,
        "--nm",
        "llvm-nm",
    )
    sfx = {"shared": "", "shared-registered": "_shared_registered", "registered": "_registered"}
    extra: list[Path] = []
    if variant != "shared":
        reg = tmp_path / "reg.o"
        run([CC, "-Wall", "-Wextra", "-Werror", "-c", out / "asyncrt_registration.c", "-o", reg])
        extra.append(reg)
    dll = tmp_path / f"asyncrt{sfx[variant]}.dll"
    implib = tmp_path / f"libasyncrt{sfx[variant]}.dll.a"
    run(
        [
            CC,
            "-shared",
            "-o",
            dll,
            *objects,
            *extra,
            out / f"asyncrt{sfx[variant]}.def",
            f"-Wl,--out-implib,{implib}",
        ]
    )
    return dll, implib


@pytest.mark.parametrize("variant", ["shared", "shared-registered", "registered"])
def test_mingw_dll_exports(mingw: dict[str, Path], tmp_path: Path, variant: str) -> None:
    dll, implib = _dll(mingw, tmp_path, variant)
    reg = {"__asyncrt_init": ".text", "__asyncrt_destroy": ".text"}
    expected = {"shared": EXPORTS, "shared-registered": {**EXPORTS, **reg}, "registered": reg}
    assert pe_exports(OBJDUMP, dll) == expected[variant]
    if variant == "shared":
        symbols = run(["x86_64-w64-mingw32-nm", implib])
        assert " I __imp_asyncrt_version" in symbols
        assert " T asyncrt_version" not in symbols  # DATA: no code thunk
        assert " T asyncrtCreateToken" in symbols


def test_mingw_consumer(mingw: dict[str, Path], tmp_path: Path) -> None:
    """A consumer links through dllimport; one using an unexported name does not link."""
    _, implib = _dll(mingw, tmp_path, "shared")
    inc = mingw["inc"]
    run(
        [
            CC,
            "-Wall",
            "-Wextra",
            "-Werror",
            f"-I{inc}",
            f"-I{ASYNCRT}",
            ASYNCRT / "consumer.c",
            implib,
            "-o",
            tmp_path / "consumer.exe",
        ]
    )
    err = fails(
        [
            CC,
            "-DUSE_UNDECLARED",
            f"-I{inc}",
            f"-I{ASYNCRT}",
            ASYNCRT / "consumer.c",
            implib,
            "-o",
            tmp_path / "bad.exe",
        ]
    )
    assert "asyncrt_internal" in err


def test_mingw_static_exports_nothing(mingw: dict[str, Path], tmp_path: Path) -> None:
    archive = tmp_path / "libasyncrt_static.a"
    run(
        [
            "x86_64-w64-mingw32-ar",
            "rcs",
            archive,
            mingw["static-runtime.c"],
            mingw["static-runtime.cpp"],
        ]
    )
    user = tmp_path / "user.c"
    user.write_text(
        '#include "asyncrt.h"\n'
        "__declspec(dllexport) int user_fn(void) { return asyncrtCreateToken() + asyncrt_version; }\n"
    )
    dll = tmp_path / "user.dll"
    run(
        [
            CC,
            "-shared",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-DASYNCRT_STATIC_DEFINE",
            f"-I{mingw['inc']}",
            f"-I{ASYNCRT}",
            user,
            archive,
            "-o",
            dll,
        ]
    )
    assert pe_exports(OBJDUMP, dll) == {"user_fn": ".text"}


C_ONLY = (ASYNCRT / "visgen.toml").read_text().replace('cxx = ["asyncrt::Runtime::*"]\n', "")


def test_lld_link_def(tmp_path: Path) -> None:
    """clang --target=x86_64-pc-windows-msvc and lld-link /def: (no MSVC runtime needed)."""
    require("clang", "clang")
    require("lld-link", "lld")
    require("llvm-nm", "llvm")
    objdump = require(OBJDUMP, MINGW)
    manifest = tmp_path / "visgen.toml"
    manifest.write_text(C_ONLY)
    inc = tmp_path / "inc"
    generate_ok(manifest, "--out", inc, "--platform", "windows", "--variant", "static")
    obj = tmp_path / "runtime.obj"
    run(
        [
            "clang",
            "--target=x86_64-pc-windows-msvc",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-Dasyncrt_EXPORTS",
            "-DASYNCRT_EXPORT=",
            f"-I{inc}",
            f"-I{ASYNCRT}",
            "-c",
            ASYNCRT / "runtime.c",
            "-o",
            obj,
        ]
    )
    out = tmp_path / "gen"
    generate_ok(
        manifest,
        "--out",
        out,
        "--platform",
        "windows",
        "--variant",
        "shared",
        "--objects",
        obj,
        "--nm",
        "llvm-nm",
    )
    def_text = (out / "asyncrt.def").read_text()
    assert "LIBRARY asyncrt\n" in def_text
    assert "    asyncrt_version DATA\n" in def_text
    dll = tmp_path / "asyncrt.dll"
    run(
        [
            "lld-link",
            "/dll",
            "/noentry",
            "/nodefaultlib",
            f"/out:{dll}",
            f"/def:{out / 'asyncrt.def'}",
            f"/implib:{tmp_path / 'asyncrt.lib'}",
            obj,
        ]
    )
    assert pe_exports(objdump, dll) == C_EXPORTS
