"""The export header: GenerateExportHeader's macro names, right on every platform.

One file serves every build and every consumer; the preprocessor picks the mechanism:

- ``P_STATIC_DEFINE`` defined (building or using the static library, and building the
  ``registered`` variant): ``P_EXPORT`` is empty, ``P_NO_EXPORT`` is hidden;
- ``_WIN32`` or ``__CYGWIN__``: ``__declspec(dllexport)`` while building the DLL, keyed on
  ``<name>_EXPORTS`` (CMake's default ``DEFINE_SYMBOL`` for a target called ``<name>``),
  else ``__declspec(dllimport)``;
- GCC and Clang elsewhere: ``visibility("default")`` / ``visibility("hidden")``.

Every macro is defined only when not defined yet, so a project can override any of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from visgen.render import Artifact
from visgen.render._env import c_identifier

if TYPE_CHECKING:
    from visgen.model import Library

__all__ = ["export_define", "plan"]


def __dir__() -> list[str]:
    return list(__all__)


def export_define(library: Library) -> str:
    """The define that means "building this library's DLL": ``<name>_EXPORTS``."""
    return f"{c_identifier(library.name)}_EXPORTS"


def plan(library: Library) -> Artifact:
    prefix = library.macro_prefix
    context = {
        "library": library.name,
        "prefix": prefix,
        "guard": c_identifier(f"{prefix}_EXPORT_H").upper(),
        "export_define": export_define(library),
    }
    return Artifact("export.h.j2", library.header, context)
