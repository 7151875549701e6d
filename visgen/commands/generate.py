"""``visgen generate``: write a library's export header, linker files and registration source.

Files, relative to ``--out`` (``<sfx>``: empty for ``shared``, ``_shared_registered``,
``_registered``): the header at the manifest's ``header``; ``<name><sfx>.map`` (linux),
``.exp`` (macos) or ``.def`` (windows) per DSO variant; ``<name>_registration.c`` (``.cpp``
for the mlir ABI) when a registered variant is generated. ``static`` needs the header only.

With ``--objects`` / ``--objects-from``, every pattern is resolved against the symbols the
objects define (listed with ``--nm``, default llvm-nm, else nm), and each file lists exact
names; an entry that matches nothing stops the command, naming the entry.
"""

from __future__ import annotations

import platform as _platform_mod
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from visgen.model import Library, Platform, Variant

__all__ = ["configure_parser", "execute", "host_platform"]


def __dir__() -> list[str]:
    return list(__all__)


_PLATFORMS = ("linux", "macos", "windows")
_VARIANTS = ("static", "shared", "shared-registered", "registered")


def host_platform() -> Platform:
    """The platform visgen runs on: windows, macos, else linux."""
    system = _platform_mod.system()
    if system == "Windows" or sys.platform == "cygwin":
        return "windows"
    if system == "Darwin":
        return "macos"
    return "linux"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "manifest",
        nargs="?",
        type=Path,
        metavar="MANIFEST",
        help="manifest file (default: visgen.toml, else pyproject.toml)",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--library", metavar="NAME", help="the manifest library to generate (default: all)"
    )
    parser.add_argument(
        "--platform",
        choices=_PLATFORMS,
        default=None,
        help="target platform (default: the host's)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        choices=_VARIANTS,
        metavar="VARIANT",
        help=f"variant to generate for ({', '.join(_VARIANTS)}); repeatable "
        "(default: the library's variants)",
    )
    parser.add_argument(
        "--templates", type=Path, metavar="DIR", help="folder of templates overriding shipped ones"
    )
    parser.add_argument(
        "--objects",
        nargs="+",
        type=Path,
        default=[],
        metavar="FILE",
        help="compiled objects or archives of the library: resolve patterns to names",
    )
    parser.add_argument(
        "--objects-from",
        type=Path,
        metavar="RSPFILE",
        help="a file listing objects or archives, one path a line (as --objects)",
    )
    parser.add_argument(
        "--nm", metavar="PATH", help="nm-compatible tool for --objects (default: llvm-nm, else nm)"
    )
    parser.add_argument(
        "--dll-name",
        metavar="NAME",
        help="LIBRARY name of the .def file (default: <name><sfx>, the variant's target name)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print each file and whether it changed"
    )


def _read_objects(args: argparse.Namespace) -> list[Path]:
    from visgen.errors import UsageError

    objects: list[Path] = list(args.objects)
    rsp: Path | None = args.objects_from
    if rsp is not None:
        try:
            text = rsp.read_text(encoding="utf-8")
        except OSError as exc:
            msg = f"--objects-from {rsp}: cannot be read ({exc.strerror})"
            raise UsageError(msg) from None
        for raw in text.splitlines():
            line = raw.strip()
            if line and not line.startswith("#"):
                objects.append(Path(line.strip('"')))
    return objects


def _variants(library: Library, chosen: list[Variant] | None) -> list[Variant]:
    if not chosen:
        return list(library.variants)
    seen: list[Variant] = []
    for v in chosen:
        if v not in seen:
            seen.append(v)
    return seen


def execute(args: argparse.Namespace) -> int:
    from visgen.errors import UsageError
    from visgen.manifest import load_manifest
    from visgen.render import plan_library, render_artifacts

    manifest = load_manifest(args.manifest)
    platform: Platform = args.platform or host_platform()
    objects = _read_objects(args)
    if args.library is not None or (objects and len(manifest.libraries) > 1):
        libraries = [manifest.library(args.library)]
    else:
        libraries = list(manifest.libraries)
    resolve_now = bool(objects) or args.objects_from is not None
    out: Path = args.out
    if out.exists() and not out.is_dir():
        msg = f"--out {out}: exists and is not a folder"
        raise UsageError(msg)
    for library in libraries:
        variants = _variants(library, args.variant)
        resolution = None
        if resolve_now and any(v != "static" for v in variants):
            from visgen.resolve import nm_defined_symbols, resolve

            defined = nm_defined_symbols(objects, args.nm, platform) if objects else {}
            reg = library.registration
            resolution = resolve(library, platform, defined, exclude=(reg.init, reg.destroy))
        plan = plan_library(library, platform, variants, resolution, args.dll_name)
        for warning in plan.warnings:
            sys.stderr.write(f"visgen: warning: {warning}\n")
        for path, changed in render_artifacts(plan.artifacts, out, args.templates):
            if args.verbose:
                print(f"{'wrote' if changed else 'unchanged'} {path}")
    return 0
