"""Render findings for people and machines: text, JSON (version 1), SARIF 2.1.0, GitHub.

lint, check and audit share these formats and the ``--output-format`` / ``--exit-zero``
options, so a CI system reads every command the same way.
"""

from __future__ import annotations

import os
import sys

from visgen.findings import RULES, Finding, exit_status

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# check (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any, Literal, TextIO

__all__ = [
    "OUTPUT_FORMATS",
    "OutputFormat",
    "add_output_options",
    "emit",
    "render",
    "use_color",
]


def __dir__() -> list[str]:
    return list(__all__)


if TYPE_CHECKING:
    OutputFormat = Literal["text", "json", "sarif", "github"]
else:

    def __getattr__(name: str) -> object:
        from visgen._lazy_literals import literal

        return literal(__name__, name, {"OutputFormat": ("text", "json", "sarif", "github")})


OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("text", "json", "sarif", "github")

JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_COLORS = {"error": "\033[31;1m", "warning": "\033[33;1m", "rule": "\033[2m", "reset": "\033[0m"}


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """The options every reporting command takes."""
    parser.add_argument(
        "--output-format",
        choices=OUTPUT_FORMATS,
        default="text",
        help="how findings are printed (default: text)",
    )
    parser.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit with status 0 even when there are findings",
    )


def emit(findings: Sequence[Finding], args: argparse.Namespace, *, command: str) -> int:
    """Print ``findings`` in the format chosen on the command line; return the exit status."""
    fmt: OutputFormat = args.output_format
    text = render(findings, fmt, command=command, color=use_color(sys.stdout))
    if text:
        sys.stdout.write(text)
    return exit_status(list(findings), exit_zero=args.exit_zero)


def render(
    findings: Sequence[Finding],
    fmt: OutputFormat,
    *,
    command: str,
    color: bool = False,
) -> str:
    """The findings as text in ``fmt``; ends with a newline unless empty."""
    ordered = sorted(findings, key=_sort_key)
    if fmt in ("json", "sarif"):
        import json  # only here: the import costs every clean text-format check its time

    if fmt == "json":
        return json.dumps(_json_doc(ordered, command), indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(_sarif_doc(ordered, command), indent=2) + "\n"
    if fmt == "github":
        return "".join(_github_line(f) + "\n" for f in ordered)
    return _text(ordered, command, color=color)


def _sort_key(f: Finding) -> tuple[str, int, str, str, str]:
    loc = f.location
    return (
        f.binary or (loc.file if loc else ""),
        (loc.line or 0) if loc else 0,
        f.rule,
        f.symbol or "",
        f.message,
    )


def _place(f: Finding) -> str:
    parts = []
    if f.binary:
        parts.append(f.binary)
    if f.location is not None:
        parts.append(str(f.location))
    return ": ".join(parts)


def _text(findings: Sequence[Finding], command: str, *, color: bool) -> str:
    def paint(kind: str, s: str) -> str:
        return f"{_COLORS[kind]}{s}{_COLORS['reset']}" if color else s

    lines = []
    for f in findings:
        place = _place(f)
        head = f"{place}: " if place else ""
        lines.append(
            f"{head}{paint(f.severity, f.severity)}: {f.message} {paint('rule', f'[{f.rule}]')}"
        )
        if f.hint:
            lines.append(f"    {paint('warning', 'tip')}: {f.hint}")
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    if findings:
        lines.append(f"visgen {command}: {errors} error(s), {warnings} warning(s)")
    else:
        lines.append(f"visgen {command}: no findings")
    return "\n".join(lines) + "\n"


def _finding_dict(f: Finding) -> dict[str, Any]:
    doc: dict[str, Any] = {"rule": f.rule, "severity": f.severity, "message": f.message}
    if f.location is not None:
        doc["file"] = f.location.file
        doc["line"] = f.location.line
        doc["key"] = f.location.key
    if f.binary is not None:
        doc["binary"] = f.binary
    if f.symbol is not None:
        doc["symbol"] = f.symbol
    if f.hint is not None:
        doc["hint"] = f.hint
    return doc


def _json_doc(findings: Sequence[Finding], command: str) -> dict[str, Any]:
    from visgen import __version__

    return {
        "version": JSON_VERSION,
        "tool": {"name": "visgen", "version": __version__},
        "command": command,
        "summary": {
            "errors": sum(1 for f in findings if f.severity == "error"),
            "warnings": sum(1 for f in findings if f.severity == "warning"),
        },
        "findings": [_finding_dict(f) for f in findings],
    }


def _sarif_doc(findings: Sequence[Finding], command: str) -> dict[str, Any]:
    from visgen import __version__

    used = sorted({f.rule for f in findings})
    rules = [
        {
            "id": r,
            "shortDescription": {"text": RULES[r]},
            "helpUri": "https://pypi.org/project/visgen-symbols/",
        }
        for r in used
    ]
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": used.index(f.rule),
            "level": "error" if f.severity == "error" else "warning",
            "message": {"text": f.message + (f" ({f.hint})" if f.hint else "")},
        }
        locations = []
        if f.location is not None:
            physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(f.location.file)}}
            if f.location.line:
                physical["region"] = {"startLine": f.location.line}
            loc: dict[str, Any] = {"physicalLocation": physical}
            if f.location.key:
                loc["logicalLocations"] = [{"fullyQualifiedName": f.location.key, "kind": "member"}]
            locations.append(loc)
        elif f.binary is not None:
            locations.append({"physicalLocation": {"artifactLocation": {"uri": _uri(f.binary)}}})
        if locations:
            result["locations"] = locations
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "visgen",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/visgen-symbols/",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"visgen/{command}/"},
                "results": results,
            }
        ],
    }


def _uri(path: str) -> str:
    return path.replace(os.sep, "/")


def _github_escape(s: str, *, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        s = s.replace(":", "%3A").replace(",", "%2C")
    return s


def _github_line(f: Finding) -> str:
    """A GitHub Actions workflow command, so the finding shows on the pull request."""
    kind = "error" if f.severity == "error" else "warning"
    props = []
    if f.location is not None:
        props.append(f"file={_github_escape(f.location.file, prop=True)}")
        if f.location.line:
            props.append(f"line={f.location.line}")
    elif f.binary is not None:
        props.append(f"file={_github_escape(f.binary, prop=True)}")
    props.append(f"title={_github_escape('visgen ' + f.rule, prop=True)}")
    message = f.message + (f" ({f.hint})" if f.hint else "")
    return f"::{kind} {','.join(props)}::{_github_escape(message)}"
