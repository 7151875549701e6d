"""``visgen extract BINARY``: print a manifest matching the binary's current exports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("binary", type=Path, metavar="BINARY", help="a shared library")
    parser.add_argument(
        "--library", default=None, help="library name (default: from the file name)"
    )


def execute(args: argparse.Namespace) -> int:
    from visgen.extract import extract_manifest

    sys.stdout.write(extract_manifest(args.binary, args.library))
    return 0
