"""Concurrency and determinism: parallel ``visgen generate``, parallel CMake builds.

- 16 ``visgen generate`` processes write into one folder at once (every variant and the
  shared header, as a parallel build does): each file is complete and byte-identical to
  a serial run, and no temporary file is left behind.
- two CMake builds of tests/cmake/projects/basic, in build folders at different paths
  and depths, run at the same time: both succeed, export exactly the manifest's names,
  and their generated files (``visgen/<library>/``) are byte-identical.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from basic_project import PROJECT, REGISTRATION, SHARED_EXPORTS, dynamic_exports

ROOT = Path(__file__).resolve().parents[2]

N_SYMBOLS = 3000


def _manifest(path: Path) -> Path:
    """A library with enough names that the writes of 16 processes overlap."""
    names = ", ".join(f'"par_fn_{i}"' for i in range(N_SYMBOLS))
    data = ", ".join(f'"par_data_{i}"' for i in range(N_SYMBOLS // 10))
    path.write_text(
        f"""schema = 1

[library.par]
header = "par/par_export.h"
variants = ["static", "shared", "shared-registered", "registered"]

[[library.par.exports]]
node = "PAR_1.0"
symbols = [{names}]
data = [{data}]

[[library.par.exports]]
node = "PAR_1.1"
inherits = "PAR_1.0"
symbols = ["par_late"]
""",
        encoding="utf-8",
    )
    return path


def _command(manifest: Path, out: Path, index: int) -> list[str]:
    platform = ("linux", "macos", "windows")[index % 3]
    variant = ("shared", "shared-registered", "registered", "static")[index % 4]
    return [
        sys.executable,
        "-m",
        "visgen",
        "generate",
        str(manifest),
        "--out",
        str(out),
        "--platform",
        platform,
        "--variant",
        variant,
    ]


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_sixteen_generate_processes_into_one_folder(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path / "visgen.toml")
    shared = tmp_path / "shared"
    procs = [
        subprocess.Popen(
            _command(manifest, shared, i), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for i in range(16)
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    serial = tmp_path / "serial"
    for i in range(16):
        subprocess.run(_command(manifest, serial, i), check=True, capture_output=True)
    got, want = _tree(shared), _tree(serial)
    assert sorted(got) == sorted(want), "a file is missing or a temporary file was left"
    for name, data in want.items():
        assert got[name] == data, f"{name} differs from the serial run"
    assert not list(shared.rglob(".*.tmp"))
    assert b"par_fn_2999;" in got["par.map"]


def _cmake() -> str:
    for candidate in ("/usr/bin/cmake", shutil.which("cmake")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip("needs cmake")


def _configure(cmake: str, build: Path, env: dict[str, str], *extra: str) -> list[str]:
    return [
        cmake,
        "-S",
        str(PROJECT),
        "-B",
        str(build),
        "-G",
        "Ninja",
        f"-DCMAKE_PREFIX_PATH={ROOT / 'cmake'}",
        f"-DPython_EXECUTABLE={sys.executable}",
        *extra,
    ]


def _generated(folder: Path) -> list[Path]:
    """visgen's outputs; the ``*.rsp`` object lists CMake writes for it hold build paths."""
    return sorted(
        p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and p.suffix != ".rsp"
    )


@pytest.mark.cmake
@pytest.mark.toolchain
def test_two_cmake_builds_at_once_are_correct_and_identical(tmp_path: Path) -> None:
    cmake = _cmake()
    for tool in ("ninja", "gcc", "g++", "nm"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool}")
    builds = [tmp_path / "a", tmp_path / "deeper" / "path" / "to" / "build-b"]
    env = dict(os.environ)
    procs = [
        subprocess.Popen(
            [
                "sh",
                "-c",
                '"$0" "$@" >/dev/null && "$0" --build "$BUILD" -j1',
                *_configure(cmake, build, env),
            ],
            env={**env, "BUILD": str(build)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for build in builds
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out.decode()
    for build in builds:
        assert dynamic_exports(build / "libdemo.so") == SHARED_EXPORTS
        assert set(dynamic_exports(build / "libdemo_registered.so")) == REGISTRATION
        assert set(dynamic_exports(build / "libplugin.so")) == {"plugin_entry", "plugin_entry_v2"}
    first, second = (b / "visgen" for b in builds)
    files = _generated(first)
    assert files, "no generated files under visgen/"
    assert files == _generated(second)
    _match, mismatch, errors = filecmp.cmpfiles(
        first, second, [str(f) for f in files], shallow=False
    )
    assert not mismatch, f"generated files differ between the build folders: {mismatch}"
    assert not errors
    for path in files:
        text = (first / path).read_bytes()
        assert str(tmp_path).encode() not in text, f"{path} holds an absolute path"
