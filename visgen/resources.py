"""Where visgen's own data lives: installed inside the package, or in a checkout.

In the wheel, ``cmake/`` and ``templates/`` sit inside the ``visgen`` package. In a
source checkout they sit beside it, at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["cmake_dir", "package_dir", "schemas_dir", "templates_dir"]


def __dir__() -> list[str]:
    return list(__all__)


def package_dir() -> Path:
    return Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    installed = package_dir() / name
    if installed.is_dir():
        return installed
    checkout = package_dir().parent / name
    if checkout.is_dir():
        return checkout
    msg = f"visgen's {name}/ folder is missing from {package_dir()}: reinstall visgen-symbols"
    raise FileNotFoundError(msg)


def cmake_dir() -> Path:
    """The folder holding ``visgen-config.cmake`` (put it on ``CMAKE_PREFIX_PATH``)."""
    return _data_dir("cmake")


def templates_dir() -> Path:
    """The shipped jinja2 templates."""
    return _data_dir("templates")


def schemas_dir() -> Path:
    """The JSON Schemas of the manifest and of the JSON report."""
    return package_dir() / "schemas"
