"""Real ``pip wheel`` builds with ``visgen.build`` (SPEC section 7), offline.

- example_project builds, its wheel is checked clean, installs into a fresh venv, and its
  extension module runs the runtime; ``pip install -e`` works through the wrapper too;
- a copy of the example whose manifest declares a function that is not defined fails
  before the link, naming the entry, and leaves no wheel;
- a project that uses no visgen in CMake (tests/backend/projects/handmade) with a wrong
  manifest (a declared function not defined, an undeclared export, and a leaking
  extension module) is stopped by the wheel check with every finding named and leaves no
  wheel; with ``check = "warn"`` it builds and prints the same findings;
- a project on plain ``scikit_build_core.build`` with ``search.site-packages = false``
  finds ``find_package(visgen)`` and ``include(Visgen)`` through the entry points.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from typing import TYPE_CHECKING

import pytest

from backend._helpers import EXAMPLE, PROJECTS, copy_project

if TYPE_CHECKING:
    from pathlib import Path

    from backend._helpers import Builder

pytestmark = [pytest.mark.slow, pytest.mark.cmake, pytest.mark.toolchain]

RUN_EXAMPLE = (
    "import asyncrt_example as a\n"
    "assert a.parallel_sum(1000) == 500500, a.parallel_sum(1000)\n"
    "assert a.version() == '1.1.0'\n"
    "assert a.completed_count() >= 1000\n"
    "print('ok', a.__file__)\n"
)


def _run(python: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_example_builds_checks_installs_and_runs(builder: Builder, tmp_path: Path) -> None:
    project = copy_project(EXAMPLE, tmp_path / "example")
    build = builder.wheel(project, tmp_path / "dist")
    assert build.returncode == 0, build.output
    (wheel,) = build.wheels
    assert wheel.name.startswith("asyncrt_example-0.1.0-")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert "asyncrt_example/__init__.py" in names
    assert "asyncrt_example/libasyncrt.so" in names
    (ext,) = (n for n in names if re.fullmatch(r"asyncrt_example/_asyncrt\..*\.so", n))
    # the backend checked both binaries, each as what it is, and found nothing
    assert "visgen: checking asyncrt_example-0.1.0-" in build.output
    assert "asyncrt_example/libasyncrt.so: library 'asyncrt', variant shared" in build.output
    assert f"{ext}: Python extension module '_asyncrt' (python-extension policy)" in build.output
    assert "visgen check: no findings" in build.output

    python = builder.venv(tmp_path / "venv")
    installed = builder.install(python, str(wheel))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    ran = _run(python, RUN_EXAMPLE, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert str(tmp_path / "venv") in ran.stdout


def test_example_editable_install(builder: Builder, tmp_path: Path) -> None:
    project = copy_project(EXAMPLE, tmp_path / "example")
    python = builder.venv(tmp_path / "venv")
    installed = builder.install(python, "-e", str(project))
    output = installed.stdout + installed.stderr
    assert installed.returncode == 0, output
    assert "visgen: checking asyncrt_example-0.1.0-" in output
    assert "visgen check: no findings" in output
    ran = _run(python, RUN_EXAMPLE, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    # the Python sources are the project's own (editable), the extension module is built
    assert f"ok {project / 'python' / 'asyncrt_example' / '__init__.py'}" in ran.stdout


def test_example_with_undefined_declared_function_fails(builder: Builder, tmp_path: Path) -> None:
    project = copy_project(EXAMPLE, tmp_path / "example")
    manifest = project / "visgen.toml"
    text = manifest.read_text()
    wrong = text.replace('"asyncrtCompletedCount"]', '"asyncrtCompletedCount", "asyncrtMissing"]')
    assert wrong != text
    manifest.write_text(wrong)
    out = tmp_path / "dist"
    build = builder.wheel(project, out)
    assert build.returncode != 0
    # visgen stops it before the linker runs, naming the entry and its place
    assert "'asyncrtMissing'" in build.output
    assert re.search(
        r"visgen\.toml:\d+: library\.asyncrt\.exports\[1\]\.symbols\[2\]", build.output
    )
    assert build.wheels == []


def test_bad_manifest_fails_lint_before_building(builder: Builder, tmp_path: Path) -> None:
    project = copy_project(EXAMPLE, tmp_path / "example")
    manifest = project / "visgen.toml"
    manifest.write_text(
        manifest.read_text().replace('macro-prefix = "ASYNCRT"', 'macro-prefx = "ASYNCRT"')
    )
    build = builder.wheel(project, tmp_path / "dist")
    assert build.returncode != 0
    assert "macro-prefx" in build.output
    assert "macro-prefix" in build.output  # did you mean
    assert "CMake" not in build.output.split("macro-prefx", 1)[1]  # nothing was configured
    assert build.wheels == []


HANDMADE_FINDINGS = (
    # a declared function that is not defined
    r"handmade-0\.1\.0-[^/\s]+\.whl/handmade/libshapes\.so: .*error: .*shapes_volume.* \[missing-export\]",
    # an undeclared export
    r"handmade-0\.1\.0-[^/\s]+\.whl/handmade/libshapes\.so: .*error: .*shapes_debug_dump.* \[unexpected-export\]",
    # the extension module exports more than PyInit__handmade
    r"handmade/_handmade\.[^:\s]+\.so: .*error: .*handmade_helper.* \[unexpected-export\]",
)


def test_wrong_manifest_fails_the_wheel_check_and_leaves_no_wheel(
    builder: Builder, tmp_path: Path
) -> None:
    project = copy_project(PROJECTS / "handmade", tmp_path / "handmade")
    out = tmp_path / "dist"
    build = builder.wheel(project, out)
    assert build.returncode != 0, build.output
    for pattern in HANDMADE_FINDINGS:
        assert re.search(pattern, build.output), pattern
    assert "visgen check: 3 error(s)" in build.output
    assert "the wheel was not kept" in build.output
    assert list(out.iterdir()) == []  # not even the private build folder


def test_check_warn_builds_and_prints_the_findings(builder: Builder, tmp_path: Path) -> None:
    project = copy_project(PROJECTS / "handmade", tmp_path / "handmade")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('check = "error"', 'check = "warn"'))
    build = builder.wheel(project, tmp_path / "dist")
    assert build.returncode == 0, build.output
    for pattern in HANDMADE_FINDINGS:
        assert re.search(pattern, build.output), pattern
    assert "the wheel was kept (check = 'warn')" in build.output
    (wheel,) = build.wheels
    assert wheel.name.startswith("handmade-0.1.0-")


def test_plain_scikit_build_core_finds_visgen_through_entry_points(
    builder: Builder, tmp_path: Path
) -> None:
    project = copy_project(PROJECTS / "skbuild_plain", tmp_path / "tiny")
    build = builder.wheel(project, tmp_path / "dist")
    assert build.returncode == 0, build.output
    assert "visgen: checking" not in build.output  # scikit-build-core's own backend
    module = re.search(r"tiny: include\(Visgen\) -> (\S+)", build.output)
    root = re.search(r"tiny: visgen_ROOT=(\S+)", build.output)
    config_dir = re.search(r"tiny: visgen_DIR=(\S+)", build.output)
    assert module, build.output
    assert root, build.output
    assert config_dir, build.output
    # the build environment's installed visgen, not this checkout
    assert module.group(1).endswith("/site-packages/visgen/cmake/Visgen.cmake")
    assert root.group(1).endswith("/site-packages/visgen/cmake")
    assert config_dir.group(1) == root.group(1)
    assert not module.group(1).startswith(str(EXAMPLE.parent))
    # visgen_add_library() wired and checked the library
    assert "visgen check: no findings" in build.output
    (wheel,) = build.wheels
    with zipfile.ZipFile(wheel) as zf:
        assert "tiny/libtiny.so" in zf.namelist()
