"""Configure-time errors of the CMake module: each one stops configure with a message that
names the call and says what to fix.

Every case is a throw-away project with ``project(... NONE)`` (no compiler checks, so a
configure takes a fraction of a second) written into a temporary folder. CMake wraps
long messages, so the expected fragments are compared with whitespace collapsed.

``cmake -P tests/cmake/scripts/test_find_nm.cmake`` unit-tests which ``nm`` the module
hands to visgen for each target format, with expect_* macros (pybind11's
``tools/test-pybind11GuessPythonExtSuffix.cmake`` style).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.cmake, pytest.mark.toolchain]

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

MANIFEST = """\
schema = 1

[library.demo]
variants = ["static", "shared"]

[[library.demo.exports]]
symbols = ["demo_add"]
"""
# a typo of `variants` on line 4, which the lint reports with file:line
BROKEN = MANIFEST.replace("variants =", "varients =")
BAD_TOML = "schema = 1\n[library.demo\n"


def _cmake() -> str:
    for candidate in ("/usr/bin/cmake", str(Path(sys.executable).parent / "cmake")):
        if Path(candidate).is_file():
            return candidate
    pytest.skip("needs cmake (apt-get install cmake, or pip install cmake)")


def _squash(text: str) -> str:
    return " ".join(text.split())


def configure_fails(
    tmp_path: Path, body: str, *, manifest: str | None = MANIFEST, args: tuple[str, ...] = ()
) -> str:
    """Configure a project whose CMakeLists.txt ends with ``body``; it must fail.

    Returns its output with whitespace collapsed.
    """
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.c").write_text("int demo_add(int a, int b) { return a + b; }\n")
    if manifest is not None:
        (source / "visgen.toml").write_text(manifest)
    (source / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\n"
        "project(errors NONE)\n"
        "find_package(visgen CONFIG REQUIRED)\n" + body + "\n"
    )
    proc = subprocess.run(
        [
            _cmake(),
            "-S",
            str(source),
            "-B",
            str(tmp_path / "build"),
            f"-Dvisgen_DIR={ROOT / 'cmake'}",
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "CMake Error" in out
    return _squash(out)


PYTHON = f"-DPython_EXECUTABLE={sys.executable}"

# id: (CMakeLists.txt body, manifest text or None, extra configure args, expected fragments)
CASES: dict[str, tuple[str, str | None, tuple[str, ...], tuple[str, ...]]] = {
    "unknown-argument": (
        "visgen_add_library(demo SHARED SOURCES a.c)",  # add_library's habit
        MANIFEST,
        (PYTHON,),
        ("visgen_add_library(demo): unknown arguments: SHARED",),
    ),
    "missing-sources": (
        "visgen_add_library(demo VARIANTS shared)",
        MANIFEST,
        (PYTHON,),
        ("visgen_add_library(demo): SOURCES is required",),
    ),
    "keyword-without-value": (
        "visgen_add_library(demo SOURCES a.c MANIFEST)",
        MANIFEST,
        (PYTHON,),
        ("visgen_add_library(demo): MANIFEST needs a value",),
    ),
    "variant-not-in-manifest": (
        "visgen_add_library(demo SOURCES a.c VARIANTS shared registered)",
        MANIFEST,
        (PYTHON,),
        (
            (
                "visgen_add_library(demo): variant registered is not among the manifest's "
                "variants (static;shared) of library demo"
            ),
        ),
    ),
    "library-not-in-manifest": (
        "visgen_add_library(demo SOURCES a.c LIBRARY demo2)",
        MANIFEST,
        (PYTHON,),
        ("visgen_add_library(demo):", "no library 'demo2' (it has: demo)"),
    ),
    "no-manifest": (
        "visgen_add_library(demo SOURCES a.c)",
        None,
        (PYTHON,),
        ("visgen_add_library(demo): no MANIFEST given and no visgen.toml in",),
    ),
    "manifest-does-not-exist": (
        "visgen_add_library(demo SOURCES a.c MANIFEST gone.toml)",
        MANIFEST,
        (PYTHON,),
        ("visgen_add_library(demo): MANIFEST", "gone.toml does not exist"),
    ),
    "broken-manifest": (
        "visgen_add_library(demo SOURCES a.c)",
        BROKEN,
        (PYTHON,),
        (
            "visgen_add_library(demo):",
            "visgen.toml:4: library.demo.varients: unknown key `varients`",
        ),
    ),
    "invalid-toml": (
        "visgen_add_library(demo SOURCES a.c)",
        BAD_TOML,
        (PYTHON,),
        ("visgen_add_library(demo):", "visgen.toml:2:", "invalid TOML"),
    ),
    "apply-without-target": (
        "visgen_apply(VARIANT shared)",
        MANIFEST,
        (PYTHON,),
        ("visgen_apply(): TARGET is required",),
    ),
    "apply-not-a-target": (
        "visgen_apply(TARGET nowhere)",
        MANIFEST,
        (PYTHON,),
        ("visgen_apply(): nowhere is not a target",),
    ),
    "apply-unknown-argument": (
        "add_library(demo INTERFACE)\nvisgen_apply(TARGET demo SOURCES a.c)",
        MANIFEST,
        (PYTHON,),
        ("visgen_apply(): unknown arguments: SOURCES;a.c",),
    ),
    "apply-unknown-variant": (
        "add_library(demo INTERFACE)\nvisgen_apply(TARGET demo VARIANT dynamic)",
        MANIFEST,
        (PYTHON,),
        (
            (
                "visgen_apply(demo): VARIANT dynamic is not one of static, shared, "
                "shared-registered, registered"
            ),
        ),
    ),
    "visgen-executable-missing": (
        "visgen_add_library(demo SOURCES a.c)",
        MANIFEST,
        ("-DVISGEN_EXECUTABLE=/nonexistent/bin/visgen",),
        (
            "visgen: VISGEN_EXECUTABLE=/nonexistent/bin/visgen does not run",
            "point it at a `visgen` command",
        ),
    ),
    "visgen-executable-not-visgen": (
        "visgen_add_library(demo SOURCES a.c)",
        MANIFEST,
        ("-DVISGEN_EXECUTABLE=/bin/true",),
        ("visgen: VISGEN_EXECUTABLE=/bin/true does not run", "exit status: 0"),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_configure_error(tmp_path: Path, case: str) -> None:
    body, manifest, args, expected = CASES[case]
    out = configure_fails(tmp_path, body, manifest=manifest, args=args)
    for fragment in expected:
        assert _squash(fragment) in out


def test_python_without_visgen(tmp_path: Path) -> None:
    """The project's Python cannot import visgen: configure says which one and the fix."""
    fake = tmp_path / "bin" / "python3"
    fake.parent.mkdir()
    # what `python -m visgen` prints where the package is not installed
    fake.write_text(
        "#!/bin/sh\necho \"$0: Error while finding module specification for 'visgen' "
        "(ModuleNotFoundError: No module named 'visgen')\" >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    out = configure_fails(
        tmp_path, "visgen_add_library(demo SOURCES a.c)", args=(f"-DPython_EXECUTABLE={fake}",)
    )
    assert f"no interpreter could run visgen (tried: {fake})" in out
    assert "No module named 'visgen'" in out
    assert (
        "Fix: `pip install visgen-symbols` into that Python, or set Python_EXECUTABLE "
        "(or VISGEN_EXECUTABLE) to one that has it" in out
    )


def test_find_nm_script() -> None:
    """``cmake -P``: the nm handed to visgen reads the target's object format."""
    for tool in ("nm", "llvm-nm"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool} (apt-get install binutils llvm)")
    proc = subprocess.run(
        [
            _cmake(),
            f"-DVISGEN_CMAKE_DIR={ROOT / 'cmake'}",
            f"-DGNU_NM={shutil.which('nm')}",
            f"-DLLVM_NM={shutil.which('llvm-nm')}",
            f"-DMINGW_NM={shutil.which('x86_64-w64-mingw32-nm') or ''}",
            "-P",
            str(HERE / "scripts" / "test_find_nm.cmake"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all passed" in proc.stdout + proc.stderr
