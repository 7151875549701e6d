"""Plan and render the generated files of a library: ``(template, path, context)`` plans.

Each artifact has one module here that turns the model (and, when the objects were
given, a :class:`~visgen.resolve.Resolution`) into an :class:`Artifact`: the template
name, the output path relative to ``--out``, and a context of plain strings and lists.
:func:`plan_library` collects them; :func:`render_artifacts` renders them with the one
jinja2 Environment of :mod:`visgen.render._env` and writes them with
:func:`visgen.write.write_if_changed`.

Worked example, ``visgen generate --platform linux`` for ``asyncrt`` with variants
static, shared and registered::

    asyncrt/asyncrt_export.h        export.h.j2               (Library.header)
    asyncrt.map                     version_script.map.j2     (variant shared)
    asyncrt_registered.map          version_script.map.j2     (variant registered)
    asyncrt_registration.c          registration.c.j2         (abi "c"; .cpp for "mlir")

Naming conventions (``<name>`` is the library name, ``<sfx>`` is empty for ``shared``,
``_shared_registered`` and ``_registered`` for the registered variants; ``static``
needs the header only):

- ``<header>``: the export header at ``Library.header``, the same for every variant;
- ``<name><sfx>.map``: GNU version script (linux);
- ``<name><sfx>.exp``: Apple exported-symbols list (macos);
- ``<name><sfx>.def``: Windows module-definition file (windows);
- ``<name>_registration.c`` / ``.cpp``: registration source, shared by both registered
  variants (written when one of them is generated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from visgen.model import Library, Platform, Variant
    from visgen.resolve import Resolution

__all__ = [
    "Artifact",
    "Plan",
    "linker_file_name",
    "plan_library",
    "registration_file_name",
    "render_artifacts",
    "variant_suffix",
]


def __dir__() -> list[str]:
    return list(__all__)


@dataclass(frozen=True)
class Artifact:
    """One file to generate."""

    template: str
    path: str
    """Relative to the output folder, with ``/`` separators."""
    context: Mapping[str, object] = field(compare=False)


@dataclass(frozen=True)
class Plan:
    """Everything to write for one library, plus warnings for the user."""

    artifacts: tuple[Artifact, ...]
    warnings: tuple[str, ...] = ()


_SUFFIX: dict[str, str] = {
    "shared": "",
    "shared-registered": "_shared_registered",
    "registered": "_registered",
    "static": "_static",
}

_LINKER_EXT: dict[str, str] = {"linux": ".map", "macos": ".exp", "windows": ".def"}


def variant_suffix(variant: Variant) -> str:
    return _SUFFIX[variant]


def linker_file_name(library: Library, platform: Platform, variant: Variant) -> str:
    """``<name><sfx>.map`` / ``.exp`` / ``.def``."""
    return f"{library.name}{_SUFFIX[variant]}{_LINKER_EXT[platform]}"


def registration_file_name(library: Library) -> str:
    ext = ".cpp" if library.registration.abi == "mlir" else ".c"
    return f"{library.name}_registration{ext}"


def plan_library(
    library: Library,
    platform: Platform,
    variants: Sequence[Variant],
    resolution: Resolution | None = None,
    dll_name: str | None = None,
) -> Plan:
    """The artifacts of ``library`` for ``platform`` and ``variants``."""
    from visgen.render import apple_list, def_file, export_header, registration, version_script

    artifacts = [export_header.plan(library)]
    warnings: list[str] = []
    for variant in variants:
        if variant == "static":
            continue
        if platform == "linux":
            art, warns = version_script.plan(library, variant, resolution)
            warnings.extend(w for w in warns if w not in warnings)
        elif platform == "macos":
            art = apple_list.plan(library, variant, resolution)
        else:
            art = def_file.plan(library, variant, resolution, dll_name)
        artifacts.append(art)
    if any(v in ("registered", "shared-registered") for v in variants):
        artifacts.append(registration.plan(library, platform, resolution))
    return Plan(tuple(artifacts), tuple(warnings))


def render_artifacts(
    artifacts: Sequence[Artifact], out_dir: Path, user_templates: Path | None = None
) -> list[tuple[Path, bool]]:
    """Render and write ``artifacts`` under ``out_dir``: ``[(path, rewritten)]``."""
    from visgen.render._env import render_template
    from visgen.write import write_if_changed

    written: list[tuple[Path, bool]] = []
    for art in artifacts:
        text = render_template(art.template, art.context, user_templates)
        target = out_dir.joinpath(*art.path.split("/"))
        written.append((target, write_if_changed(target, text)))
    return written
