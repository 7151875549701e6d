"""``visgen lint [MANIFEST]``: validate a manifest and report every problem at once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from visgen.report import add_output_options, emit

if TYPE_CHECKING:
    import argparse


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "manifest",
        nargs="*",
        type=Path,
        metavar="MANIFEST",
        help="manifest file(s) (default: visgen.toml, else pyproject.toml)",
    )
    add_output_options(parser)


def execute(args: argparse.Namespace) -> int:
    from visgen.manifest import find_manifest, read_manifest

    paths: list[Path] = args.manifest or [find_manifest()]
    findings = []
    for path in paths:
        _, found = read_manifest(path)
        findings.extend(found)
    return emit(findings, args, command="lint")
