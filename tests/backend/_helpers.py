"""Helpers for real ``pip wheel`` builds in isolated build environments, offline.

A wheelhouse is prepared once per test session (shared by the xdist workers through a
lock): visgen's own wheel, built from this checkout with ``pip wheel --no-index``, and
the wheels the builds need besides (scikit-build-core, hatchling, jinja2, pyelftools and
their dependencies). Those come from ``VISGEN_WHEELHOUSE`` when it names a folder that
holds them (CI can cache one), else from one ``pip download``. Every build then runs with
``--no-index --find-links <wheelhouse>``: nothing is fetched while the tests build.
cmake and ninja are the system's (scikit-build-core asks for the PyPI ones only when
those are missing or too old; they are then downloaded too).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = Path(__file__).resolve().parent / "projects"
EXAMPLE = ROOT / "example_project"

# what the isolated build environments install, besides visgen itself
BUILD_REQUIREMENTS = [
    "scikit-build-core>=0.10",
    "hatchling>=1.21",
    "jinja2>=3.1",
    "pyelftools>=0.31",
]


def _pip(*args: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def _has(wheelhouse: Path, *names: str) -> bool:
    return all(any(wheelhouse.glob(f"{name}-*.whl")) for name in names)


def prepare_wheelhouse(wheelhouse: Path) -> str | None:
    """Fill ``wheelhouse``; return why it cannot be done, or None."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    given = os.environ.get("VISGEN_WHEELHOUSE")
    if given and _has(Path(given), "scikit_build_core", "hatchling", "jinja2", "pyelftools"):
        for wheel in Path(given).glob("*.whl"):
            if not wheel.name.startswith("visgen_symbols-"):
                shutil.copy2(wheel, wheelhouse)
    else:
        need = list(BUILD_REQUIREMENTS)
        if shutil.which("cmake") is None:
            need.append("cmake>=3.20")
        if shutil.which("ninja") is None:
            need.append("ninja")
        got = _pip("download", "-q", "--only-binary=:all:", "-d", str(wheelhouse), *need)
        if got.returncode != 0:
            return f"cannot download the build requirements (offline?): {got.stderr.strip()[-500:]}"
    built = _pip(
        "wheel", "-q", "--no-index", "--find-links", str(wheelhouse), "--no-deps",
        "-w", str(wheelhouse), str(ROOT),
    )  # fmt: skip
    if built.returncode != 0:
        return f"cannot build visgen's wheel: {built.stdout}{built.stderr}"
    return None


@dataclass(frozen=True)
class Build:
    returncode: int
    output: str
    wheels: list[Path]


@dataclass(frozen=True)
class Builder:
    """Runs ``pip wheel``/``pip install`` offline against the session's wheelhouse."""

    wheelhouse: Path

    def options(self) -> list[str]:
        return ["--no-index", "--find-links", str(self.wheelhouse)]

    def wheel(self, project: Path, out: Path, *args: str) -> Build:
        out.mkdir(parents=True, exist_ok=True)
        got = _pip("wheel", "-v", "--no-deps", *self.options(), "-w", str(out), *args, str(project))
        return Build(got.returncode, got.stdout + got.stderr, sorted(out.iterdir()))

    def venv(self, where: Path) -> Path:
        """A fresh virtual environment (without pip: this pip installs into it)."""
        venv.create(where, with_pip=False)
        return where / "bin" / "python"

    def install(self, python: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return _pip("--python", str(python), "install", "-v", *self.options(), *args)


def copy_project(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("build", "build-*", "__pycache__"))
    return dest
