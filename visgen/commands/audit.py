"""``visgen audit PATH...``: C++ identity and cross-DSO hazards in a set of DSOs (SPEC section 5)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from visgen.report import add_output_options, emit

if TYPE_CHECKING:
    import argparse


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="shared objects, folders (searched recursively) or wheels; together they are one set",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="also check that each export of the manifest's libraries is defined in exactly "
        "one DSO of the set (--library alone uses visgen.toml, else pyproject.toml)",
    )
    parser.add_argument(
        "--library",
        action="append",
        default=[],
        metavar="NAME",
        help="limit the manifest check to this library (repeatable; default: every library)",
    )
    add_output_options(parser)


def execute(args: argparse.Namespace) -> int:
    from visgen.audit import audit_paths

    manifest = None
    if args.manifest is not None or args.library:
        from visgen.manifest import load_manifest

        manifest = load_manifest(args.manifest)
    findings = audit_paths(args.paths, manifest=manifest, libraries=tuple(args.library))
    return emit(findings, args, command="audit")
