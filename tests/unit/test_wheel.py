"""visgen's own wheel: pure Python, named visgen-symbols, with cmake/ and templates/ inside.

Builds the wheel with ``python -m build``, opens it, then installs it into a fresh
virtual environment and finds the CMake package from site-packages with
``CMAKE_PREFIX_PATH=$(visgen --cmakedir)`` in a real CMake project.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (built,) = out.glob("*.whl")
    return built


def test_wheel_name_and_purity(wheel: Path) -> None:
    assert wheel.name.startswith("visgen_symbols-")
    assert wheel.name.endswith("-py3-none-any.whl")


def test_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(f"{dist_info}/METADATA").decode()
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
    for required in (
        "visgen/__init__.py",
        "visgen/cli.py",
        "visgen/cmake/visgen-config.cmake",
        "visgen/cmake/visgen-config-version.cmake",
        "visgen/cmake/Visgen.cmake",
        "visgen/templates/export.h.j2",
        "visgen/templates/version_script.map.j2",
        "visgen/schemas/manifest.schema.json",
        "visgen/schemas/report.schema.json",
    ):
        assert required in names, required
    # every shipped template and cmake file of the checkout is in the wheel
    for folder in ("templates", "cmake"):
        for path in (ROOT / folder).iterdir():
            if path.is_file():
                assert f"visgen/{folder}/{path.name}" in names, path
    assert not any(n.endswith((".so", ".pyd", ".dylib")) for n in names)
    assert "Name: visgen-symbols" in metadata
    assert "Requires-Dist: jinja2" in metadata
    assert "Requires-Dist: pyelftools" in metadata
    assert "Provides-Extra: backend" in metadata
    assert "[console_scripts]\nvisgen = visgen.cli:main" in entry_points
    assert "[cmake.root]\nvisgen = visgen.cmake" in entry_points
    assert "[cmake.module]\nvisgen = visgen.cmake" in entry_points


@pytest.mark.cmake
def test_installed_wheel_finds_its_cmake_package(wheel: Path, tmp_path: Path) -> None:
    if shutil.which("cmake") is None or shutil.which("cc") is None:
        pytest.skip("needs cmake and a C compiler")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    cmakedir = subprocess.run(
        [str(env_dir / "bin" / "visgen"), "--cmakedir"], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert Path(cmakedir).is_relative_to(env_dir)
    assert Path(cmakedir, "visgen-config.cmake").is_file()

    project = tmp_path / "project"
    project.mkdir()
    (project / "visgen.toml").write_text(
        'schema = 1\n[library.tiny]\n[[library.tiny.exports]]\nsymbols = ["tiny_answer"]\n'
    )
    (project / "tiny.c").write_text(
        '#include "tiny_export.h"\nTINY_EXPORT int tiny_answer(void) { return 42; }\n'
        "int tiny_hidden(void) { return 1; }\n"
    )
    (project / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(tiny C)\n"
        "find_package(visgen 0.1 CONFIG REQUIRED)\n"
        "visgen_add_library(tiny SOURCES tiny.c VARIANTS shared CHECK OFF)\n"
    )
    build = tmp_path / "build"
    # no Python_EXECUTABLE: the package must find the interpreter of its own environment
    configure = subprocess.run(
        ["cmake", "-S", str(project), "-B", str(build), f"-DCMAKE_PREFIX_PATH={cmakedir}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert configure.returncode == 0, configure.stdout + configure.stderr
    assert str(python) in configure.stdout
    subprocess.run(["cmake", "--build", str(build)], check=True, capture_output=True, text=True)
    exports = subprocess.run(
        ["nm", "-D", "--defined-only", str(build / "libtiny.so")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "tiny_answer" in exports
    assert "tiny_hidden" not in exports
