"""macOS: dylibs linked by ld64.lld with the generated exported-symbols list.

The export trie is read with ``llvm-objdump --macho --exports-trie``. A consumer dylib
linked against the library (no ``-undefined dynamic_lookup``) fails for a name that is
not exported. ``dyld_stub_binder`` (normally from libSystem, absent here) comes from a
stub dylib so the consumers can link without an SDK.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gen._toolchain import ASYNCRT, fails, generate_ok, require, run

pytestmark = pytest.mark.toolchain

ARCHES = ["arm64", "x86_64"]
EXPORTS = {
    "asyncrtCreateToken",
    "asyncrtInitCount",
    "asyncrtRuntimeStart",
    "asyncrtRuntimeStop",
    "_ZN7asyncrt7Runtime5startEv",
    "_ZN7asyncrt7Runtime4stopEv",
    "asyncrt_version",
    "asyncrtTrace",
    "asyncrtCancel",
    "asyncrtOld",
}
REG = {"__asyncrt_init", "__asyncrt_destroy"}
C_ONLY = (ASYNCRT / "visgen.toml").read_text().replace('cxx = ["asyncrt::Runtime::*"]\n', "")


def _tools() -> None:
    require("clang", "clang")
    if not any(Path(d, "ld64.lld").exists() for d in ("/usr/bin", "/usr/lib/llvm-14/bin")):
        require("ld64.lld", "lld")
    require("llvm-objdump", "llvm")
    require("llvm-nm", "llvm")


def _cc(arch: str, *, link: bool = True) -> list[str]:
    cmd = ["clang", "-target", f"{arch}-apple-macos11"]
    return [*cmd, "-fuse-ld=lld"] if link else cmd


def exports_trie(dylib: Path) -> set[str]:
    out = run(["llvm-objdump", "--macho", "--exports-trie", dylib])
    names = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0].startswith("0x") and fields[1].startswith("_"):
            names.add(fields[1][1:])
    return names


def _objects(tmp_path: Path, arch: str, inc: Path, flags: list[str]) -> list[Path]:
    objs = []
    for src in ("runtime.c", "runtime.cpp"):
        obj = tmp_path / f"{src}.o"
        lang = ["-nostdinc++"] if src.endswith(".cpp") else []  # no SDK: no C++ headers used
        run(
            [
                *_cc(arch, link=False),
                *lang,
                "-O1",
                "-Wall",
                "-Wextra",
                "-Werror",
                *flags,
                f"-I{inc}",
                f"-I{ASYNCRT}",
                "-c",
                ASYNCRT / src,
                "-o",
                obj,
            ]
        )
        objs.append(obj)
    return objs


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("variant", ["shared", "shared-registered", "registered"])
def test_exported_symbols_list(tmp_path: Path, arch: str, variant: str) -> None:
    _tools()
    inc = tmp_path / "inc"
    generate_ok(ASYNCRT / "visgen.toml", "--out", inc, "--platform", "macos", "--variant", "static")
    if variant == "registered":
        flags = ["-DASYNCRT_STATIC_DEFINE", "-fvisibility=hidden"]
    else:
        flags = ["-Dasyncrt_EXPORTS"]
    objects = _objects(tmp_path, arch, inc, flags)
    out = tmp_path / "gen"
    generate_ok(
        ASYNCRT / "visgen.toml",
        "--out",
        out,
        "--platform",
        "macos",
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
        run(
            [
                *_cc(arch, link=False),
                "-Wall",
                "-Wextra",
                "-Werror",
                "-c",
                out / "asyncrt_registration.c",
                "-o",
                reg,
            ]
        )
        extra.append(reg)
    dylib = tmp_path / "libasyncrt.dylib"
    run(
        [
            *_cc(arch),
            "-shared",
            "-nostdlib",
            "-o",
            dylib,
            *objects,
            *extra,
            f"-Wl,-exported_symbols_list,{out / f'asyncrt{sfx[variant]}.exp'}",
        ]
    )
    expected = {"shared": EXPORTS, "shared-registered": EXPORTS | REG, "registered": REG}
    assert exports_trie(dylib) == expected[variant]


@pytest.mark.parametrize("arch", ARCHES)
def test_patterns_without_objects_and_consumer(tmp_path: Path, arch: str) -> None:
    """Globs and optional names written as patterns; a consumer of a hidden name fails."""
    _tools()
    manifest = tmp_path / "visgen.toml"
    manifest.write_text(C_ONLY)
    out = tmp_path / "gen"
    generate_ok(manifest, "--out", out, "--platform", "macos", "--variant", "shared")
    text = (out / "asyncrt.exp").read_text()
    assert "_asyncrtRuntime*\n" in text
    assert "_asyncrtDebugDum[p]\n" in text  # optional and absent: not an error for ld64
    # default visibility everywhere: the list alone decides
    objects = _objects(tmp_path, arch, out, ["-Dasyncrt_EXPORTS", "-DASYNCRT_EXPORT="])[:1]
    dylib = tmp_path / "libasyncrt.dylib"
    run(
        [
            *_cc(arch),
            "-shared",
            "-nostdlib",
            "-o",
            dylib,
            *objects,
            f"-Wl,-exported_symbols_list,{out / 'asyncrt.exp'}",
        ]
    )
    assert exports_trie(dylib) == EXPORTS - {
        "_ZN7asyncrt7Runtime5startEv",
        "_ZN7asyncrt7Runtime4stopEv",
    }

    stub_src = tmp_path / "stub.c"
    # the raw name, without Mach-O's underscore, as libSystem defines it
    stub_src.write_text('void stub(void) __asm__("dyld_stub_binder");\nvoid stub(void) {}\n')
    stub = tmp_path / "libstub.dylib"
    run([*_cc(arch), "-shared", "-nostdlib", "-o", stub, stub_src])
    consumer = [*_cc(arch), "-shared", "-nostdlib", f"-I{out}", f"-I{ASYNCRT}"]
    run([*consumer, ASYNCRT / "consumer.c", dylib, stub, "-o", tmp_path / "ok.dylib"])
    err = fails(
        [
            *consumer,
            "-DUSE_UNDECLARED",
            ASYNCRT / "consumer.c",
            dylib,
            stub,
            "-o",
            tmp_path / "bad.dylib",
        ]
    )
    assert "_asyncrt_internal" in err
