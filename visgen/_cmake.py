"""Helpers the CMake module calls; not part of the command line users type.

``visgen __cmake-info MANIFEST LIBRARY PLATFORM OUT`` validates the manifest at configure
time and writes a CMake script of ``set()`` lines describing the library (variants,
header, macro prefix, generated file names, which variants need the compiled objects
to resolve patterns). CMake includes it, so the module never parses TOML itself. With
``*`` for LIBRARY, OUT is a folder that receives ``<library>.cmake`` for every library of
the manifest, and the library's export header under ``<library>/`` (it depends on the
manifest alone, so it is written here, at configure time, and CMake copies it where the
targets include it: no Python start per library at build time), so one run serves a
project's every call.

``visgen __postlink-check BINARY [check options]`` runs ``visgen check`` after a link and,
like a linker that fails, removes the binary when the check fails, so the next build
does not take a rejected library for an up-to-date one.
"""

from __future__ import annotations

import contextlib
import os
import sys

from visgen.errors import UsageError

# Not `from typing import TYPE_CHECKING`: importing typing costs every post-link check
# (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from visgen.model import Library, Platform, Variant

__all__ = ["cmake_info", "library_info", "needs_objects", "postlink_check"]


def __dir__() -> list[str]:
    return list(__all__)


def needs_objects(library: Library, platform: Platform, variant: Variant) -> bool:
    """True when a variant's files can only be written from the compiled objects.

    A .def file lists names only; an Apple list cannot hold demangled C++ names; a
    registration table needs every address. A GNU version script expresses globs and
    ``extern "C++"`` patterns itself.
    """
    if variant == "static":
        return False
    entries = library.entries_for(platform)
    if variant in ("registered", "shared-registered") and any(e.is_pattern for e in entries):
        return True
    if variant == "registered":
        return False
    if platform == "windows":
        return any(e.is_pattern for e in entries)
    if platform == "macos":
        return any(e.is_cxx for e in entries)
    return False


def _cmake_quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def cmake_info(manifest_path: str, library_name: str, platform: Platform) -> str:
    """The CMake script describing ``library_name`` of the manifest (see module doc)."""
    from visgen.manifest import load_manifest

    return library_info(load_manifest(manifest_path).library(library_name), platform)


def library_info(library: Library, platform: Platform) -> str:
    """The CMake script describing ``library`` (see module doc)."""
    from visgen.render import linker_file_name, registration_file_name
    from visgen.render.export_header import export_define

    lines = [
        f"set(_visgen_variants {' '.join(library.variants)})",
        f"set(_visgen_header {_cmake_quote(library.header)})",
        f"set(_visgen_macro_prefix {library.macro_prefix})",
        f"set(_visgen_export_define {export_define(library)})",
        f"set(_visgen_abi {library.registration.abi})",
        f"set(_visgen_visibility {library.visibility})",
        f"set(_visgen_inlines_hidden {'ON' if library.inlines_hidden else 'OFF'})",
        f"set(_visgen_registration_file {_cmake_quote(registration_file_name(library))})",
    ]
    for variant in library.variants:
        key = variant.replace("-", "_")
        if variant != "static":
            name = linker_file_name(library, platform, variant)
            lines.append(f"set(_visgen_linker_file_{key} {_cmake_quote(name)})")
        needs = needs_objects(library, platform, variant)
        lines.append(f"set(_visgen_needs_objects_{key} {'ON' if needs else 'OFF'})")
    return "\n".join(lines) + "\n"


def main_cmake_info(argv: Sequence[str]) -> int:
    if len(argv) != 4:
        msg = "usage: visgen __cmake-info MANIFEST LIBRARY PLATFORM OUT"
        raise UsageError(msg)
    manifest_path, library_name, platform, out = argv
    if platform not in ("linux", "macos", "windows"):
        msg = f"unknown platform {platform!r}"
        raise UsageError(msg)
    from pathlib import Path  # configure time only: a post-link check never needs it

    from visgen.write import write_if_changed

    if library_name != "*":
        text = cmake_info(manifest_path, library_name, platform)  # type: ignore[arg-type]
        write_if_changed(Path(out), text)
        return 0
    from visgen.manifest import load_manifest
    from visgen.render import plan_library, render_artifacts

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = set()
    for library in load_manifest(manifest_path).libraries:
        text = library_info(library, platform)  # type: ignore[arg-type]
        header = plan_library(library, platform, ["static"], None, None)  # type: ignore[arg-type]
        for _ in render_artifacts(header.artifacts, folder / library.name, None):
            pass
        write_if_changed(folder / f"{library.name}.cmake", text)
        written.add(f"{library.name}.cmake")
    for stale in folder.glob("*.cmake"):
        if stale.name not in written:  # a library the manifest no longer has
            stale.unlink()
    return 0


def postlink_check(argv: Sequence[str]) -> int:
    """Run ``visgen check`` with ``argv``; remove the binary (argv[0]) when it fails."""
    from visgen.cli import main

    if not argv:
        msg = "usage: visgen __postlink-check BINARY [check options]"
        raise UsageError(msg)
    status = main(["check", *argv])
    if status != 0:
        binary = argv[0]
        with contextlib.suppress(FileNotFoundError):
            os.unlink(binary)  # noqa: PTH108 (no pathlib: a post-link check's start-up)
        sys.stderr.write(f"visgen: removed {binary}: it does not match the manifest (see above)\n")
    return status
