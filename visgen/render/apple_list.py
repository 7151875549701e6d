"""The Apple exported-symbols list (``-exported_symbols_list``), one name per line.

Names carry Mach-O's leading underscore; ld64 (and ld64.lld) take ``*``, ``?`` and
``[...]`` wildcards, so C globs are written as they are. C++ entries (demangled names)
cannot be written: they need ``--objects``, as do exact names the objects must define.
An ``optional`` exact name is written as a one-name pattern (``_fo[o]``): a missing
exact name is an error for ld64, a pattern that matches nothing is not. With a
resolution, every line is an exact name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from visgen.render import Artifact, linker_file_name
from visgen.render._common import bracket_exact, is_pattern, needs_objects

if TYPE_CHECKING:
    from visgen.model import Library, Variant
    from visgen.resolve import Resolution

__all__ = ["plan", "symbol_lines"]


def __dir__() -> list[str]:
    return list(__all__)


def symbol_lines(library: Library, variant: Variant, resolution: Resolution | None) -> list[str]:
    """The names and patterns of the list, each with its leading underscore."""
    reg = [f"_{library.registration.init}", f"_{library.registration.destroy}"]
    if variant == "registered":
        return reg
    lines = reg if variant == "shared-registered" else []
    if resolution is not None:
        lines.extend(f"_{name}" for name in resolution.names)
        return lines
    seen: set[str] = set()
    for entry in library.entries_for("macos"):
        if entry.is_cxx:
            raise needs_objects(library, entry, "is a C++ name an Apple list cannot hold")
        if entry.text in seen:
            continue
        seen.add(entry.text)
        if entry.kind == "optional" and not is_pattern(entry):
            lines.append(f"_{bracket_exact(entry.text)}")
        else:
            lines.append(f"_{entry.text}")
    return lines


def plan(library: Library, variant: Variant, resolution: Resolution | None) -> Artifact:
    context = {
        "library": library.name,
        "variant": variant,
        "symbols": symbol_lines(library, variant, resolution),
    }
    return Artifact("exported_symbols.txt.j2", linker_file_name(library, "macos", variant), context)
