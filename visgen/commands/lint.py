"""``visgen lint [MANIFEST...]``: validate manifests and report every problem at once."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from visgen.report import add_output_options, emit

if TYPE_CHECKING:
    import argparse

    from visgen.findings import Finding


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "manifest",
        nargs="*",
        type=Path,
        metavar="MANIFEST",
        help="manifest file(s) (default: visgen.toml, else pyproject.toml)",
    )
    parser.add_argument(
        "--skip-unconfigured",
        action="store_true",
        help="skip a pyproject.toml without [tool.visgen] instead of failing "
        "(for pre-commit, which passes every pyproject.toml it sees)",
    )
    add_output_options(parser)


def execute(args: argparse.Namespace) -> int:
    from visgen.errors import NoManifestTableError
    from visgen.manifest import find_manifest, read_manifest

    paths: list[Path] = args.manifest or [find_manifest()]
    findings: list[Finding] = []
    for path in paths:
        try:
            _, found = read_manifest(path)
        except NoManifestTableError:
            if not args.skip_unconfigured:
                raise
            sys.stderr.write(f"visgen lint: skipped {path}: it has no [tool.visgen] table\n")
            continue
        findings.extend(found)
    return emit(findings, args, command="lint")
