"""``visgen check BINARY...``: compare built binaries with the manifest (SPEC section 5)."""

from __future__ import annotations

from visgen.report import add_output_options, emit

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# check (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

VARIANT_CHOICES = ("static", "shared", "shared-registered", "registered")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    # paths stay strings: importing pathlib costs every check about 6 ms of start-up
    parser.add_argument("binary", nargs="+", metavar="BINARY", help="DSO or archive")
    parser.add_argument(
        "--manifest",
        default=None,
        help="manifest file (default: visgen.toml, else pyproject.toml, in the current folder)",
    )
    parser.add_argument("--library", default=None, help="library of the manifest to check")
    parser.add_argument(
        "--variant",
        choices=VARIANT_CHOICES,
        default=None,
        help="how the binary was built (default: static for an archive, else shared)",
    )
    parser.add_argument(
        "--policy",
        choices=("python-extension",),
        default=None,
        help="check a Python extension module: exports PyInit_<module> only (no manifest)",
    )
    add_output_options(parser)


def execute(args: argparse.Namespace) -> int:
    import gc

    # A check allocates a few hundred thousand objects (names, entries, columns) that are
    # never cyclic garbage and live until the process ends; the cyclic collector's passes
    # over them cost 10-15 ms of a large check and free nothing.
    gc.disable()
    try:
        return _execute(args)
    finally:
        gc.enable()


def _execute(args: argparse.Namespace) -> int:
    from visgen.check import check_many
    from visgen.errors import UsageError

    library = None
    if args.policy is None or args.manifest is not None:
        from visgen.manifest import load_manifest

        library = load_manifest(args.manifest).library(args.library)
        if args.variant is not None and args.variant not in library.variants:
            msg = (
                f"library {library.name!r} has no variant {args.variant!r} "
                f"(it has: {', '.join(library.variants)})"
            )
            raise UsageError(msg)
    findings = check_many(args.binary, library, variant=args.variant, policy=args.policy)
    return emit(findings, args, command="check")
