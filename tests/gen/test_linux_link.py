"""GNU version scripts under bfd, gold, lld (--no-undefined-version) and mold.

The library is compiled with default visibility, so the script alone decides what is
exported; readelf then must show exactly the manifest's exports, node by node.
"""

from __future__ import annotations

import ctypes
import shutil
from typing import TYPE_CHECKING

import pytest

from gen._toolchain import ASYNCRT, elf_exports, elf_verdefs, generate, generate_ok, require, run
from visgen.manifest import read_manifest
from visgen.render import plan_library, render_artifacts
from visgen.resolve import nm_defined_symbols, resolve

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.toolchain

LINKERS = {"bfd": "binutils", "gold": "binutils", "lld": "lld", "mold": "mold"}
V10, V11 = "ASYNCRT_1.0", "ASYNCRT_1.1"
EXPORTS: dict[str, str | None] = {
    "asyncrtCreateToken": V10,
    "asyncrtInitCount": V10,
    "asyncrtRuntimeStart": V10,
    "asyncrtRuntimeStop": V10,
    "_ZN7asyncrt7Runtime5startEv": V10,
    "_ZN7asyncrt7Runtime4stopEv": V10,
    "asyncrt_version": V10,
    "asyncrtTrace": V10,
    "asyncrtCancel": V11,
    "asyncrtOld": V11,
}
REG = {"__asyncrt_init": V10, "__asyncrt_destroy": V10}
EXPECTED: dict[str, dict[str, str | None]] = {
    "shared": EXPORTS,
    "shared-registered": {**EXPORTS, **REG},
    "registered": {"__asyncrt_init": None, "__asyncrt_destroy": None},
}


def _linker_flags(linker: str) -> list[str]:
    tool = {"bfd": "ld.bfd", "gold": "ld.gold", "lld": "ld.lld", "mold": "mold"}[linker]
    require(tool, LINKERS[linker])
    flags = [f"-fuse-ld={linker}"]
    if linker == "lld":
        flags.append("-Wl,--no-undefined-version")
    return flags


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Header, objects for both compile modes (exports and static-define)."""
    require("gcc", "gcc")
    require("g++", "g++")
    root = tmp_path_factory.mktemp("linux")
    inc = root / "inc"
    generate_ok(ASYNCRT / "visgen.toml", "--out", inc, "--platform", "linux", "--variant", "static")
    objs: dict[str, list[Path]] = {}
    for mode, flags in {
        "exports": ["-Dasyncrt_EXPORTS"],
        "static": ["-DASYNCRT_STATIC_DEFINE", "-fvisibility=hidden"],
    }.items():
        objs[mode] = []
        for src, cc in (("runtime.c", "gcc"), ("runtime.cpp", "g++")):
            obj = root / f"{mode}-{src}.o"
            run(
                [
                    cc,
                    "-fPIC",
                    "-O1",
                    "-c",
                    *flags,
                    f"-I{inc}",
                    f"-I{ASYNCRT}",
                    ASYNCRT / src,
                    "-o",
                    obj,
                ]
            )
            objs[mode].append(obj)
    return {"root": root, "inc": inc, "objs": objs}


def _build(
    built: dict[str, object], tmp_path: Path, linker: str, variant: str, with_objects: bool
) -> Path:
    objs: dict[str, list[Path]] = built["objs"]  # type: ignore[assignment]
    objects = objs["static" if variant == "registered" else "exports"]
    out = tmp_path / "gen"
    args: list[str | Path] = [ASYNCRT / "visgen.toml", "--out", out, "--platform", "linux"]
    args += ["--variant", variant]
    if with_objects:
        args += ["--objects", *objects]
    generate_ok(*args)
    sfx = {"shared": "", "shared-registered": "_shared_registered", "registered": "_registered"}
    script = out / f"asyncrt{sfx[variant]}.map"
    extra: list[Path] = []
    if variant != "shared":
        reg = tmp_path / "reg.o"
        run(
            [
                "gcc",
                "-fPIC",
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
    lib = tmp_path / f"libasyncrt-{linker}.so"
    run(
        [
            "gcc",
            "-shared",
            *_linker_flags(linker),
            "-o",
            lib,
            *objects,
            *extra,
            f"-Wl,--version-script={script}",
        ]
    )
    return lib


@pytest.mark.parametrize("linker", list(LINKERS))
@pytest.mark.parametrize(
    ("variant", "with_objects"),
    [
        ("shared", False),
        ("shared", True),
        ("shared-registered", True),
        ("registered", True),
    ],
)
def test_version_script_exports(
    built: dict[str, object], tmp_path: Path, linker: str, variant: str, with_objects: bool
) -> None:
    lib = _build(built, tmp_path, linker, variant, with_objects)
    assert elf_exports(lib) == EXPECTED[variant]
    verdefs = elf_verdefs(lib)
    if variant == "registered":
        assert verdefs == {}
    elif linker in ("bfd", "gold"):
        assert verdefs == {V10: (), V11: (V10,)}
    else:
        # lld and mold write every node but no parent link (docs/linkers.md)
        assert verdefs == {V10: (), V11: ()}


def test_registration_table_via_ctypes(built: dict[str, object], tmp_path: Path) -> None:
    """A ctypes host receives every export; init works again after destroy."""
    lib_path = _build(built, tmp_path, "bfd", "registered", with_objects=True)
    lib = ctypes.CDLL(str(lib_path))
    callback_t = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
    for round_ in (1, 2):
        table: dict[str, int] = {}

        def collect(
            _ctx: int | None, name: bytes, address: int, table: dict[str, int] = table
        ) -> None:
            table[name.decode()] = address

        lib.__asyncrt_init(callback_t(collect), None)
        assert set(table) == set(EXPORTS)
        count = ctypes.CFUNCTYPE(ctypes.c_int)(table["asyncrtInitCount"])
        token = ctypes.CFUNCTYPE(ctypes.c_int)(table["asyncrtCreateToken"])
        start = ctypes.CFUNCTYPE(ctypes.c_int)(table["_ZN7asyncrt7Runtime5startEv"])
        assert count() == round_
        assert token() == 100 + round_
        assert start() == 10
        assert ctypes.c_int.from_address(table["asyncrt_version"]).value == 42
        lib.__asyncrt_destroy()
        assert count() == -round_
    with pytest.raises(AttributeError):
        _ = lib.asyncrtCreateToken


def test_registration_addresses_match_dlsym(built: dict[str, object], tmp_path: Path) -> None:
    lib_path = _build(built, tmp_path, "bfd", "shared-registered", with_objects=True)
    lib = ctypes.CDLL(str(lib_path))
    callback_t = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
    table: dict[str, int] = {}

    def collect(_ctx: int | None, name: bytes, address: int) -> None:
        table[name.decode()] = address

    lib.__asyncrt_init(callback_t(collect), None)
    for name, address in table.items():
        assert ctypes.cast(getattr(lib, name), ctypes.c_void_p).value == address, name
    lib.__asyncrt_destroy()


OVERLAP = """\
schema = 1
[library.asyncrt]
header = "asyncrt/asyncrt_export.h"
[[library.asyncrt.exports]]
node = "A_1"
globs = ["asyncrtRuntime*"]
symbols = ["asyncrtCreateToken"]
[[library.asyncrt.exports]]
node = "A_2"
inherits = "A_1"
symbols = ["asyncrtRuntimeStop"]
"""


@pytest.mark.parametrize("linker", list(LINKERS))
def test_exact_name_after_glob(built: dict[str, object], tmp_path: Path, linker: str) -> None:
    """An exact name in a later node that an earlier glob matches: the exact node wins.

    lint reports this manifest (shadowed-pattern), so the renderers are called directly.
    Without objects, GNU ld, gold and lld agree and visgen warns (mold 1.10 gives the
    glob's node); with objects, the script lists exact names and all four agree.
    """
    manifest_path = tmp_path / "visgen.toml"
    manifest_path.write_text(OVERLAP)
    library = read_manifest(manifest_path)[0].library("asyncrt")
    objs: dict[str, list[Path]] = built["objs"]  # type: ignore[assignment]
    expected = {
        "asyncrtRuntimeStart": "A_1",
        "asyncrtCreateToken": "A_1",
        "asyncrtRuntimeStop": "A_2",
    }
    for with_objects in (False, True):
        resolution = None
        if with_objects:
            defined = nm_defined_symbols(objs["exports"], None, "linux")
            resolution = resolve(library, "linux", defined)
        plan = plan_library(library, "linux", ["shared"], resolution)
        assert any("mold 1.10" in w for w in plan.warnings) is not with_objects
        out = tmp_path / f"gen-{with_objects}"
        render_artifacts(plan.artifacts, out)
        lib = tmp_path / f"lib-{with_objects}.so"
        script = out / "asyncrt.map"
        run(
            [
                "gcc",
                "-shared",
                *_linker_flags(linker),
                "-o",
                lib,
                *objs["exports"],
                f"-Wl,--version-script={script}",
            ]
        )
        exports = elf_exports(lib)
        if linker == "mold" and not with_objects:
            assert exports == {**expected, "asyncrtRuntimeStop": "A_1"}  # mold 1.10's choice
            continue
        assert exports == expected


def test_stale_entry_is_reported_before_linking(built: dict[str, object], tmp_path: Path) -> None:
    manifest = tmp_path / "visgen.toml"
    manifest.write_text(OVERLAP.replace('"asyncrtRuntimeStop"', '"asyncrtGone"'))
    # asyncrtGone sits on line 11
    objs: dict[str, list[Path]] = built["objs"]  # type: ignore[assignment]
    status, err = generate(
        manifest, "--out", tmp_path, "--platform", "linux", "--objects", *objs["exports"]
    )
    assert status == 2
    assert "asyncrtGone" in err
    assert "visgen.toml:11" in err


def test_static_archive_exports_nothing(built: dict[str, object], tmp_path: Path) -> None:
    """A DSO that links the static variant does not re-export any of it."""
    require("ar", "binutils")
    objs: dict[str, list[Path]] = built["objs"]  # type: ignore[assignment]
    archive = tmp_path / "libasyncrt_static.a"
    run(["ar", "rcs", archive, *objs["static"]])
    user = tmp_path / "user.c"
    user.write_text(
        '#include "asyncrt.h"\n'
        '__attribute__((visibility("default"))) int user_fn(void) { return asyncrtCreateToken(); }\n'
    )
    inc: Path = built["inc"]  # type: ignore[assignment]
    lib = tmp_path / "libuser.so"
    run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-fvisibility=hidden",
            "-DASYNCRT_STATIC_DEFINE",
            f"-I{inc}",
            f"-I{ASYNCRT}",
            user,
            archive,
            "-o",
            lib,
        ]
    )
    assert set(elf_exports(lib)) == {"user_fn"}
    assert shutil.which("readelf")
