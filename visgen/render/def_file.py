"""The Windows module-definition file: ``LIBRARY``, ``EXPORTS``, ``DATA`` for data.

A .def file lists names only, so every pattern (and every ``optional`` entry, which may
or may not be defined) needs ``--objects``. Data objects (``data`` entries, and names a
pattern resolved whose nm type is a data section) carry ``DATA``, so the import library
has only ``__imp_`` for them and no code thunk.

The ``LIBRARY`` line names the DLL (``--dll-name``; default ``<name><sfx>``, the target
name of the variant); it decides the DLL name recorded in the import library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from visgen.render import Artifact, linker_file_name, variant_suffix
from visgen.render._common import is_pattern, needs_objects

if TYPE_CHECKING:
    from visgen.model import Library, Variant
    from visgen.resolve import Resolution

__all__ = ["export_lines", "plan"]


def __dir__() -> list[str]:
    return list(__all__)


def export_lines(library: Library, variant: Variant, resolution: Resolution | None) -> list[str]:
    """The lines under ``EXPORTS`` (``name`` or ``name DATA``)."""
    lines = [library.registration.init, library.registration.destroy]
    if variant == "registered":
        return lines
    if variant != "shared-registered":
        lines = []
    if resolution is not None:
        lines.extend(f"{r.name} DATA" if r.data else r.name for r in resolution.exports)
        return lines
    seen: set[str] = set()
    for entry in library.entries_for("windows"):
        if is_pattern(entry):
            raise needs_objects(library, entry, "is a pattern a .def file cannot hold")
        if entry.kind == "optional":
            raise needs_objects(library, entry, "may be absent, and a .def file lists names")
        if entry.text in seen:
            continue
        seen.add(entry.text)
        lines.append(f"{entry.text} DATA" if entry.is_data else entry.text)
    return lines


def plan(
    library: Library, variant: Variant, resolution: Resolution | None, dll_name: str | None
) -> Artifact:
    context = {
        "library": library.name,
        "variant": variant,
        "dll_name": dll_name or f"{library.name}{variant_suffix(variant)}",
        "exports": export_lines(library, variant, resolution),
    }
    return Artifact("exports.def.j2", linker_file_name(library, "windows", variant), context)
