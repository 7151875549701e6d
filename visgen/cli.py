"""The ``visgen`` command line: argparse, one module per subcommand, exit codes 0/1/2.

Exit status: 0 clean, 1 findings, 2 bad input or usage. Errors the user can cause are
:class:`visgen.errors.VisgenError` and print as one ``visgen: error:`` message with no
traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from visgen import __version__
from visgen.errors import VisgenError

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# build step that runs visgen; mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

__all__ = ["COMMANDS", "main"]


def __dir__() -> list[str]:
    return list(__all__)


COMMANDS: dict[str, str] = {
    "lint": "validate a manifest",
    "generate": "write the export header, linker files and registration source",
    "check": "compare built binaries with the manifest",
    "audit": "find C++ identity and cross-DSO hazards in a set of binaries",
    "extract": "print a manifest that matches a binary's current exports",
}
"""Subcommand name -> one-line help. Each is implemented in ``visgen.commands.<name>``."""


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns`` without importing :mod:`shutil` (which
    pulls in bz2, lzma and fnmatch, a few ms of every run, for the help width only)."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, with the width found as :func:`_terminal_columns` does."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
        **kwargs: Any,
    ) -> None:
        if width is None:
            width = _terminal_columns()
        super().__init__(prog, indent_increment, max_help_position, width, **kwargs)


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors as exit status 2 and one clear line (its default too),
    and :class:`_Formatter` for help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"visgen: error: {message}\n")
        raise SystemExit(2)


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (global options take no values)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; only the chosen subcommand's module is imported (start-up time)."""
    parser = _Parser(
        prog="visgen",
        description="Declare a C/C++ library's exported symbols once; generate, wire and check them.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"visgen {__version__}")
    parser.add_argument(
        "--cmakedir",
        action="store_true",
        help="print the folder to put on CMAKE_PREFIX_PATH and exit",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = _chosen_command(argv)
    commands = COMMANDS.items()
    if chosen is not None and argv[0] == chosen:
        # `visgen CMD ...`: nothing before the command, so the parser's own help and
        # errors never show; only the chosen subcommand's parser is built (each costs
        # several gettext look-ups)
        commands = ((chosen, COMMANDS[chosen]),)  # type: ignore[assignment]
    for name, text in commands:
        cmd_parser = sub.add_parser(name, help=text, description=text, allow_abbrev=False)
        if name == chosen:
            module = importlib.import_module(f"visgen.commands.{name}")
            module.configure_parser(cmd_parser)
            cmd_parser.set_defaults(_execute=module.execute)
    return parser


def _color_label(label: str, code: str) -> str:
    return f"\033[{code}m{label}\033[0m" if sys.stderr.isatty() else label


_HIDDEN = ("__cmake-info", "__postlink-check")
"""Commands the CMake module runs (see :mod:`visgen._cmake`); not listed in --help."""


def _run_hidden(argv: Sequence[str]) -> int:
    from visgen import _cmake

    if argv[0] == "__cmake-info":
        return _cmake.main_cmake_info(argv[1:])
    return _cmake.postlink_check(argv[1:])


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in _HIDDEN:
        try:
            return _run_hidden(args_list)
        except VisgenError as exc:
            sys.stderr.write(f"visgen: {_color_label('error', '31;1')}: {exc}\n")
            return 2
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    if args.cmakedir:
        from visgen.resources import cmake_dir

        print(cmake_dir())
        return 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        status: int = args._execute(args)  # noqa: SLF001
    except VisgenError as exc:
        sys.stderr.write(f"visgen: {_color_label('error', '31;1')}: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("visgen: interrupted\n")
        return 130
    except BrokenPipeError:
        return 1
    return status
