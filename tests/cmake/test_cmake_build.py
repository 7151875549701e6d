"""Real CMake builds of tests/cmake/projects/basic in a matrix of tools.

Matrix: CMake 3.25 (Debian) and the PyPI cmake; Ninja and Unix Makefiles; gcc and
clang; GNU ld (bfd), gold, lld and mold. Each build checks, with ``nm``/``readelf`` as
the oracle, that every variant exports exactly what the manifest says, under the right
version node, that consumers link and run against the static and shared variants, and
that a consumer of an undeclared name fails to link. The incremental-build behaviour and
a project's own visibility preset are checked on the common configuration.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from basic_project import PROJECT, REGISTRATION, SHARED_EXPORTS, dynamic_exports

pytestmark = [pytest.mark.cmake, pytest.mark.toolchain]

ROOT = Path(__file__).resolve().parents[2]
LINKERS = ("bfd", "gold", "lld", "mold")
COMPILERS = {"gcc": ("gcc", "g++"), "clang": ("clang", "clang++")}
GENERATORS = ("Ninja", "Unix Makefiles")


def _system_cmake() -> str | None:
    return "/usr/bin/cmake" if Path("/usr/bin/cmake").is_file() else None


def _pypi_cmake() -> str | None:
    candidate = Path(sys.executable).parent / "cmake"
    return str(candidate) if candidate.is_file() else None


CMAKES = {"system": _system_cmake, "pypi": _pypi_cmake}
OLDEST_CMAKE = ROOT / ".venv" / "cmake-oldest" / "cmake" / "data" / "bin" / "cmake"
"""CMake 3.20.5, the oldest the module accepts, which scripts/_setup.sh installs."""


def _linker_tool(linker: str) -> str:
    return {"bfd": "ld.bfd", "gold": "ld.gold", "lld": "ld.lld", "mold": "mold"}[linker]


def _require(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool} (install it with scripts/_setup.sh or apt-get)")


def configure(
    build: Path,
    *,
    cmake: str,
    generator: str = "Ninja",
    compiler: str = "gcc",
    linker: str = "bfd",
    extra: tuple[str, ...] = (),
    source: Path = PROJECT,
) -> None:
    cc, cxx = COMPILERS[compiler]
    _require(cc, cxx, _linker_tool(linker), "ninja" if generator == "Ninja" else "make")
    fuse = f"-fuse-ld={linker}"
    args = [
        cmake,
        "-S",
        str(source),
        "-B",
        str(build),
        "-G",
        generator,
        f"-DCMAKE_C_COMPILER={cc}",
        f"-DCMAKE_CXX_COMPILER={cxx}",
        f"-DCMAKE_SHARED_LINKER_FLAGS={fuse}",
        f"-DCMAKE_MODULE_LINKER_FLAGS={fuse}",
        f"-DCMAKE_EXE_LINKER_FLAGS={fuse}",
        f"-DCMAKE_PREFIX_PATH={ROOT / 'cmake'}",
        f"-DPython_EXECUTABLE={sys.executable}",
        *extra,
    ]
    subprocess.run(args, check=True, capture_output=True, text=True)


def configure_and_build(
    build: Path, *, cmake: str, **options: Any
) -> subprocess.CompletedProcess[str]:
    configure(build, cmake=cmake, **options)
    return build_target(build, cmake)


def _any_cmake() -> str:
    cmake = _system_cmake() or _pypi_cmake()
    assert cmake, "no cmake: neither /usr/bin/cmake nor the PyPI one"
    return cmake


def build_target(
    build: Path, cmake: str, *targets: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    args = [cmake, "--build", str(build)]
    for target in targets:
        args += ["--target", target]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        pytest.fail(f"build failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def default_visibility_globals(archive: Path) -> set[str]:
    """Defined GLOBAL symbols of an archive's objects with DEFAULT visibility."""
    out = subprocess.run(
        ["readelf", "-s", "-W", str(archive)], capture_output=True, text=True, check=True
    ).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        # Num: Value Size Type Bind Vis Ndx Name
        if (
            len(parts) >= 8
            and parts[4] in ("GLOBAL", "WEAK")
            and parts[5] == "DEFAULT"
            and parts[6] != "UND"
        ):
            names.add(parts[7])
    return names


def assert_variants(build: Path) -> None:
    shared = dynamic_exports(build / "libdemo.so")
    assert shared == SHARED_EXPORTS
    registered = dynamic_exports(build / "libdemo_registered.so")
    assert set(registered) == REGISTRATION
    both = dynamic_exports(build / "libdemo_shared_registered.so")
    assert {k: v for k, v in both.items() if k not in REGISTRATION} == SHARED_EXPORTS
    assert set(both) >= REGISTRATION
    assert default_visibility_globals(build / "libdemo.a") == set()
    plugin = dynamic_exports(build / "libplugin.so")
    assert set(plugin) == {"plugin_entry", "plugin_entry_v2"}
    for program in ("consumer_shared", "consumer_static", "consumer_shared_registered"):
        run = subprocess.run([str(build / program)], capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.strip() == "3054"
    bad = build_target(build, _cmake_of(build), "bad_consumer", check=False)
    assert bad.returncode != 0
    assert "demo_internal_helper" in bad.stdout + bad.stderr
    # the registered variant hides the C API itself: a program using it cannot link
    bad = build_target(build, _cmake_of(build), "bad_consumer_registered", check=False)
    assert bad.returncode != 0
    assert "demo_add" in bad.stdout + bad.stderr


def _cmake_of(build: Path) -> str:
    cache = (build / "CMakeCache.txt").read_text()
    match = re.search(r"^CMAKE_COMMAND:INTERNAL=(.*)$", cache, re.MULTILINE)
    assert match
    return match.group(1)


MATRIX = list(itertools.product(CMAKES, GENERATORS, COMPILERS, LINKERS))


@pytest.mark.parametrize(("cmake_kind", "generator", "compiler", "linker"), MATRIX)
def test_matrix(
    tmp_path: Path, cmake_kind: str, generator: str, compiler: str, linker: str
) -> None:
    cmake = CMAKES[cmake_kind]()
    if cmake is None:
        pytest.skip(f"needs the {cmake_kind} cmake")
    build = tmp_path / "build"
    configure_and_build(build, cmake=cmake, generator=generator, compiler=compiler, linker=linker)
    assert_variants(build)


def test_oldest_supported_cmake(tmp_path: Path) -> None:
    """Visgen.cmake accepts CMake 3.20: a build with 3.20 itself (no command of a later
    release may slip in), its exports, and a no-op rebuild."""
    if not OLDEST_CMAKE.is_file():
        pytest.skip(f"needs CMake 3.20 at {OLDEST_CMAKE} (scripts/_setup.sh installs it)")
    version = subprocess.run(
        [str(OLDEST_CMAKE), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.startswith("cmake version 3.20."), version
    build = tmp_path / "build"
    configure_and_build(build, cmake=str(OLDEST_CMAKE))
    assert_variants(build)
    assert "no work to do" in build_target(build, str(OLDEST_CMAKE)).stdout


def _copy_project(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    shutil.copytree(PROJECT, source)
    return source


@pytest.mark.parametrize("generator", GENERATORS)
def test_incremental_builds(tmp_path: Path, generator: str) -> None:
    cmake = _any_cmake()
    source = _copy_project(tmp_path)
    build = tmp_path / "build"
    configure_and_build(build, cmake=cmake, generator=generator, source=source)
    lib = build / "libdemo.so"
    before = lib.stat().st_mtime_ns
    # the header is written at configure time: byte for byte what `visgen generate` writes
    (header,) = build.glob("visgen/demo/demo/demo_export.h")
    reference = tmp_path / "reference"
    subprocess.run(
        [sys.executable, "-m", "visgen", "generate", str(source / "visgen.toml"), "--out",
         str(reference), "--library", "demo", "--platform", "linux", "--variant", "static"],
        check=True,
    )  # fmt: skip
    assert header.read_bytes() == (reference / "demo" / "demo_export.h").read_bytes()
    header_time = header.stat().st_mtime_ns
    noop = build_target(build, cmake)
    if generator == "Ninja":
        assert "no work to do" in noop.stdout
    assert lib.stat().st_mtime_ns == before, "an unchanged manifest must not relink"
    # editing the manifest (dropping the counter functions) regenerates and relinks
    manifest = source / "visgen.toml"
    manifest.write_text(manifest.read_text().replace('globs = ["demo_counter_*"]\n', ""))
    build_target(build, cmake)
    assert lib.stat().st_mtime_ns != before
    exports = dynamic_exports(lib)
    assert "demo_counter_next" not in exports
    assert exports["demo_add"] == "DEMO_1.0"
    # the edit left the header's text alone: it is not rewritten (nothing recompiles)
    assert header.stat().st_mtime_ns == header_time


def test_entry_matching_nothing_fails_with_visgens_message(tmp_path: Path) -> None:
    cmake = _any_cmake()
    source = _copy_project(tmp_path)
    manifest = source / "visgen.toml"
    manifest.write_text(
        manifest.read_text().replace(
            'symbols = ["demo_add"]', 'symbols = ["demo_add", "demo_gone"]'
        )
    )
    build = tmp_path / "build"
    configure(build, cmake=cmake, source=source)
    proc = build_target(build, cmake, check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "demo_gone" in out
    assert "visgen" in out
    # visgen stopped it before any linker saw the name
    assert "version script assignment" not in out
    assert not (build / "libdemo.so").exists()


def test_project_visibility_preset_is_kept(tmp_path: Path) -> None:
    cmake = _any_cmake()
    build = tmp_path / "build"
    configure_and_build(
        build, cmake=cmake, extra=("-DCMAKE_C_VISIBILITY_PRESET=default", "-DVISGEN_CHECK=OFF")
    )
    # the project's preset reaches the objects: the undeclared helper keeps default
    # visibility in the archive, where visgen's own default would have hidden it
    assert "demo_internal_helper" in default_visibility_globals(build / "libdemo.a")
    # and the shared variant's version script still exports exactly the manifest
    assert dynamic_exports(build / "libdemo.so") == SHARED_EXPORTS


def test_failed_check_fails_the_build_and_removes_the_binary(tmp_path: Path) -> None:
    """CHECK ON: a template static member caught by a broad cxx pattern is exported as a
    vague-linkage (weak or unique) symbol; the post-link check fails the build and the
    rejected library is removed, so the next build does not take it for up to date."""
    cmake = _any_cmake()
    source = _copy_project(tmp_path)
    shapes = source / "src" / "shapes.cpp"
    shapes.write_text(
        shapes.read_text()
        + "\nnamespace demo {\ntemplate <class T> struct DEMO_EXPORT Id { static int value; };\n"
        "template <class T> int Id<T>::value = 0;\n"
        "DEMO_EXPORT int *shape_id() { return &Id<Shape>::value; }\n}\n"
    )
    manifest = source / "visgen.toml"
    manifest.write_text(
        manifest.read_text().replace('cxx = ["demo::Shape::*"]', 'cxx = ["demo::*"]')
    )
    build = tmp_path / "build"
    configure(build, cmake=cmake, source=source)
    proc = build_target(build, cmake, "demo_shared", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "vague-export" in out
    assert "demo::Id<demo::Shape>::value" in out
    assert not (build / "libdemo.so").exists()
    again = build_target(build, cmake, "demo_shared", check=False)
    assert again.returncode != 0
