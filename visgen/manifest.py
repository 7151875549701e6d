"""Read a manifest, validate it, and build the frozen model of :mod:`visgen.model`.

Two kinds of problems, reported together so a user fixes them in one round:

- *load errors* make the file unusable (missing file, TOML syntax, missing or unknown
  ``schema``, a value of the wrong type). They raise :class:`ManifestError`: exit status 2.
- *findings* carry a lint rule id of SPEC section 5 (``unknown-key``, ``invalid-name``,
  ``duplicate-symbol``, ``unknown-node``, ``node-cycle``, ``shadowed-pattern``,
  ``bad-path``). ``visgen lint`` reports them (exit status 1); every other command refuses
  a manifest with error findings (exit status 2), through :func:`load_manifest`.

Every message names the file, the line, the dotted key path and the bad value.
"""

from __future__ import annotations

import itertools
import os
import re

from visgen.errors import ManifestError, NoManifestTableError
from visgen.findings import Finding
from visgen.model import (
    PLATFORMS,
    VARIANTS,
    BuildSettings,
    CheckPolicy,
    ExportEntry,
    ExportGroup,
    Library,
    Location,
    Manifest,
    Registration,
)

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# check (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from pathlib import Path
    from typing import Any, TypeGuard, cast

    from visgen._toml_lines import KeyPath, LineIndex
    from visgen.findings import Severity
    from visgen.model import EntryKind, Platform, Variant
else:

    def cast(_type: object, value: object) -> object:
        """:func:`typing.cast` (the identity) without importing :mod:`typing`."""
        return value


__all__ = [
    "ALLOW_PRESETS",
    "SCHEMA_VERSION",
    "find_manifest",
    "load_manifest",
    "read_manifest",
]


def __dir__() -> list[str]:
    return list(__all__)


SCHEMA_VERSION = 1
ALLOW_PRESETS: tuple[str, ...] = ("pybind11", "nanobind")
"""Named allow-lists shipped with visgen (the checker owns their contents)."""

TOP_KEYS = ("schema", "library", "build")
LIBRARY_KEYS = (
    "macro-prefix",
    "header",
    "variants",
    "visibility",
    "inlines-hidden",
    "registration",
    "exports",
    "check",
)
REGISTRATION_KEYS = ("abi", "init", "destroy", "on-init", "on-destroy")
GROUP_KEYS = ("node", "inherits", "symbols", "globs", "cxx", "data", "optional", "platforms")
CHECK_KEYS = ("allow", "allow-presets", "vague")
BUILD_KEYS = ("manifest", "check")

C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LINKAGE_LINES = re.compile(
    r"(?:[A-Za-z_][A-Za-z0-9_]*|_Z[A-Za-z0-9_.$]+)(?:\n(?:[A-Za-z_][A-Za-z0-9_]*|_Z[A-Za-z0-9_.$]+))*"
)
"""Names, one a line, each a C identifier or a mangled C++ name: a whole list checked at once."""
MANGLED_NAME = re.compile(r"_Z[A-Za-z0-9_.$]+")
GLOB = re.compile(r"[A-Za-z0-9_.$*?\[\]!^-]+")
NODE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
C_KEYWORDS = frozenset(
    # C11, then the C++20 keywords that are not also C's: a registration source (C, or
    # C++ for the mlir ABI) declares init and destroy, and cannot name them like these
    [
        "auto",
        "break",
        "case",
        "char",
        "const",
        "continue",
        "default",
        "do",
        "double",
        "else",
        "enum",
        "extern",
        "float",
        "for",
        "goto",
        "if",
        "inline",
        "int",
        "long",
        "register",
        "restrict",
        "return",
        "short",
        "signed",
        "sizeof",
        "static",
        "struct",
        "switch",
        "typedef",
        "union",
        "unsigned",
        "void",
        "volatile",
        "while",
        "_Alignas",
        "_Alignof",
        "_Atomic",
        "_Bool",
        "_Complex",
        "_Generic",
        "_Imaginary",
        "_Noreturn",
        "_Static_assert",
        "_Thread_local",
        "alignas",
        "alignof",
        "and",
        "and_eq",
        "asm",
        "bitand",
        "bitor",
        "bool",
        "catch",
        "char8_t",
        "char16_t",
        "char32_t",
        "class",
        "compl",
        "concept",
        "consteval",
        "constexpr",
        "constinit",
        "const_cast",
        "co_await",
        "co_return",
        "co_yield",
        "decltype",
        "delete",
        "dynamic_cast",
        "explicit",
        "export",
        "false",
        "friend",
        "mutable",
        "namespace",
        "new",
        "noexcept",
        "not",
        "not_eq",
        "nullptr",
        "operator",
        "or",
        "or_eq",
        "private",
        "protected",
        "public",
        "reinterpret_cast",
        "requires",
        "static_assert",
        "static_cast",
        "template",
        "this",
        "thread_local",
        "throw",
        "true",
        "try",
        "typeid",
        "typename",
        "using",
        "virtual",
        "wchar_t",
        "xor",
        "xor_eq",
    ]
)
SCRIPT_KEYWORDS = frozenset(("local", "global", "extern"))
"""Words of the version-script language; gold rejects a node named like one."""
LIBRARY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_CXX_OPERATOR = re.compile(r"operator\s*(?:<<=|>>=|<=>|<<|>>|<=|>=|->\*?|<|>|\(\)|\[\])")
_CXX_FORBIDDEN = re.compile(r"[;{}\"'#\n]")
_BRACKETS = {"(": ")", "<": ">", "[": "]"}

# -- type guards over raw TOML values ---------------------------------------------------


def _is_str_list(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(map(isinstance, value, itertools.repeat(str)))


def _is_table(value: object) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict)


def _is_table_list(value: object) -> TypeGuard[list[dict[str, Any]]]:
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


def _type_name(value: object) -> str:
    match value:
        case bool():
            return "a boolean"
        case int():
            return "an integer"
        case float():
            return "a float"
        case str():
            return "a string"
        case list():
            return "an array"
        case dict():
            return "a table"
    return type(value).__name__


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# -- the collector ---------------------------------------------------------------------


class _Collector:
    """Gathers load errors and findings, each with its place in the file."""

    __slots__ = ("errors", "file", "findings", "lines", "prefix")

    def __init__(self, file: str, lines: LineIndex, prefix: KeyPath) -> None:
        self.file = file
        self.lines = lines
        self.prefix = prefix
        self.errors: list[str] = []
        self.findings: list[Finding] = []

    def location(self, path: KeyPath) -> Location:
        full = (*self.prefix, *path)
        return Location(self.file, self.lines.line(full), _dotted(full))

    def resolver(self, path: KeyPath) -> Callable[[int], Location]:
        """``index -> Location`` of the elements of the array at ``path`` (used lazily)."""
        full = (*self.prefix, *path)
        dotted = _dotted(full)
        lines = self.lines
        file = self.file

        def resolve(index: int) -> Location:
            return Location(file, lines.line((*full, index)), f"{dotted}[{index}]")

        return resolve

    def span(self, path: KeyPath) -> tuple[int, int] | None:
        return self.lines.span((*self.prefix, *path))

    def error(self, path: KeyPath, message: str) -> None:
        self.errors.append(f"{self.location(path)}: {message}")

    def find(
        self,
        rule: str,
        path: KeyPath,
        message: str,
        hint: str | None = None,
        severity: Severity = "error",
    ) -> None:
        self.find_at(rule, self.location(path), message, hint, severity)

    def find_at(
        self,
        rule: str,
        location: Location,
        message: str,
        hint: str | None = None,
        severity: Severity = "error",
    ) -> None:
        self.findings.append(Finding(rule, message, severity, location, hint=hint))

    def check_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], path: KeyPath) -> None:
        for key in table:
            if key in allowed:
                continue
            close = _close_matches(key, allowed)
            hint = f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(allowed)}"
            self.find("unknown-key", (*path, key), f"unknown key `{key}`", hint)

    def string(self, table: Mapping[str, Any], key: str, path: KeyPath) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error((*path, key), f"must be a string, not {_type_name(value)} {_show(value)}")
            return None
        return value

    def boolean(self, table: Mapping[str, Any], key: str, path: KeyPath, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.error(
                (*path, key), f"must be true or false, not {_type_name(value)} {_show(value)}"
            )
            return default
        return value

    def strings(self, table: Mapping[str, Any], key: str, path: KeyPath) -> list[str]:
        value = table.get(key, [])
        if not _is_str_list(value):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if not isinstance(item, str):
                        self.error(
                            (*path, key, i),
                            f"must be a string, not {_type_name(item)} {_show(item)}",
                        )
            else:
                self.error(
                    (*path, key),
                    f"must be an array of strings, not {_type_name(value)} {_show(value)}",
                )
            return []
        return value

    def choice(
        self,
        table: Mapping[str, Any],
        key: str,
        path: KeyPath,
        choices: tuple[str, ...],
        default: str,
    ) -> str:
        value = self.string(table, key, path)
        if value is None:
            return default
        if value not in choices:
            self.find(
                "invalid-name",
                (*path, key),
                f"{_show(value)} is not one of: {', '.join(choices)}",
                _suggest(value, choices),
            )
            return default
        return value


def _dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
            out += f".{text}" if out else text
    return out


def _close_matches(word: str, possibilities: Iterable[str]) -> list[str]:
    import difflib  # only when a message needs it: its import is not free

    return difflib.get_close_matches(word, list(possibilities), n=1, cutoff=0.6)


def _suggest(value: str, choices: Iterable[str]) -> str | None:
    close = _close_matches(value, list(choices))
    return f"did you mean {close[0]!r}?" if close else None


# -- name checks -------------------------------------------------------------------------


def is_linkage_name(text: str) -> bool:
    """An exact C name or mangled C++ name."""
    return bool(C_IDENTIFIER.fullmatch(text) or MANGLED_NAME.fullmatch(text))


def glob_problem(text: str) -> str | None:
    """Why ``text`` is not a usable shell-style pattern over linkage names, or None."""
    if not text:
        return "is empty"
    if not GLOB.fullmatch(text):
        bad = sorted({c for c in text if not GLOB.fullmatch(c)})
        return f"has characters a linkage name cannot hold: {''.join(bad)!r}"
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "[":
            close = text.find("]", i + 2 if text[i + 1 : i + 2] in ("!", "^") else i + 1)
            if close < 0:
                return "has a `[` without a closing `]`"
            i = close + 1
            continue
        if ch == "]":
            return "has a `]` without an opening `[`"
        i += 1
    return None


def cxx_problem(text: str) -> str | None:
    """Why ``text`` is not a usable demangled C++ name or pattern, or None."""
    if not text.strip():
        return "is empty"
    if _CXX_FORBIDDEN.search(text):
        return "has a character that cannot appear in a demangled C++ name"
    stack: list[str] = []
    for ch in _CXX_OPERATOR.sub("operator", text):
        if ch in _BRACKETS:
            stack.append(_BRACKETS[ch])
        elif ch in _BRACKETS.values() and (not stack or stack.pop() != ch):
            return f"has an unbalanced `{ch}`"
    if stack:
        return f"has an unclosed bracket (expected `{stack[-1]}`)"
    return None


def header_problem(text: str) -> str | None:
    """Why ``text`` cannot be a header path inside the output folder, or None."""
    if not text:
        return "is empty"
    if text.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", text):
        return "is absolute; give a path relative to the output folder"
    if "\\" in text:
        return "uses `\\`; use `/` between folders"
    depth = 0
    for part in text.split("/"):
        if part in ("", "."):
            continue
        depth += -1 if part == ".." else 1
        if depth < 0:
            return "leaves the output folder"
    if depth == 0 or text.endswith("/"):
        return "names a folder, not a file"
    return None


def _patterns_overlap(pattern: str, name: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(name, pattern)


# -- reading -------------------------------------------------------------------------------


def find_manifest(directory: Path | None = None) -> Path:
    """``visgen.toml`` in ``directory`` (default: cwd), else a pyproject.toml with [tool.visgen]."""
    from pathlib import Path  # not at the top: a check given its manifest never needs it

    base = directory or Path()
    candidate = base / "visgen.toml"
    if candidate.is_file():
        return candidate
    pyproject = base / "pyproject.toml"
    if pyproject.is_file():
        return pyproject
    msg = f"no manifest: neither visgen.toml nor pyproject.toml in {base.resolve()}"
    raise ManifestError(msg)


def _read_document(path: Path) -> tuple[dict[str, Any], LineIndex, KeyPath]:
    """Parse ``path``; return the manifest table, its line index and the key prefix."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        msg = f"{path}: no such manifest file"
        raise ManifestError(msg) from None
    except IsADirectoryError:
        msg = f"{path}: is a folder, not a manifest file"
        raise ManifestError(msg) from None
    except UnicodeDecodeError as exc:
        msg = f"{path}: is not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise ManifestError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot be read ({exc.strerror})"
        raise ManifestError(msg) from None
    import tomllib

    # imported here: a manifest that comes from the cache is never parsed
    from visgen._toml_lines import parse as parse_toml

    try:
        doc, lines = parse_toml(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line L, column C)"; lead with file:line:column instead
        text_msg = str(exc)
        where = re.search(r"\s*\(at line (\d+), column (\d+)\)$", text_msg)
        if where:
            text_msg = text_msg[: where.start()]
            msg = f"{path}:{where.group(1)}:{where.group(2)}: invalid TOML: {text_msg}"
        else:
            msg = f"{path}: invalid TOML: {text_msg}"
        raise ManifestError(msg) from None
    if path.name == "pyproject.toml":
        tool = doc.get("tool", {})
        table = tool.get("visgen") if isinstance(tool, dict) else None
        if not isinstance(table, dict):
            msg = f"{path}: has no [tool.visgen] table (or give the path of a visgen.toml)"
            raise NoManifestTableError(msg)
        if set(table) <= {"build"}:
            # only the build backend's settings: the manifest is elsewhere (visgen.toml)
            msg = (
                f"{path}: [tool.visgen] holds only build settings, no manifest "
                "(its libraries are in visgen.toml, or add [tool.visgen.library.<name>] here)"
            )
            raise NoManifestTableError(msg)
        return table, lines, ("tool", "visgen")
    return doc, lines, ()


def read_manifest(path: str | Path) -> tuple[Manifest, tuple[Finding, ...]]:
    """Read and validate ``path``; return the model and the lint findings.

    Raises :class:`ManifestError` (listing every load error) when the file cannot be
    turned into a model.
    """
    from pathlib import Path  # not at the top: a manifest from the cache is never read

    path = Path(path)
    doc, lines, prefix = _read_document(path)
    col = _Collector(str(path), lines, prefix)
    manifest = _build_manifest(doc, col)
    if col.errors or manifest is None:
        problems = tuple(col.errors) + tuple(_problem_line(f) for f in col.findings)
        count = len(problems)
        msg = f"{path}: cannot be used ({count} problem{'s' if count != 1 else ''}):"
        raise ManifestError(msg, problems)
    return manifest, tuple(col.findings)


def _problem_line(finding: Finding) -> str:
    hint = f" ({finding.hint})" if finding.hint else ""
    return f"{finding.location}: {finding.message} [{finding.rule}]{hint}"


def load_manifest(path: str | Path | None = None) -> Manifest:
    """Read ``path`` (default: :func:`find_manifest`); refuse it if lint finds errors.

    A manifest that passed (all but tiny ones) is kept in visgen's cache (:mod:`visgen._cache`), so
    the next call rebuilds the model without parsing it again.
    """
    from visgen import _cache

    # a string, not a Path: importing pathlib costs every check about 6 ms of start-up
    source = os.fspath(path) if path is not None else find_manifest()
    cached = _cache.load(source)
    if cached is not None:
        return cached
    before = _cache.stamp(source)
    manifest, findings = read_manifest(source)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        problems = tuple(_problem_line(f) for f in errors)
        msg = f"{source}: has {len(errors)} problem(s); run `visgen lint {source}` for details:"
        raise ManifestError(msg, problems)
    _cache.store(source, manifest, before)
    return manifest


# -- building the model --------------------------------------------------------------------


def _build_manifest(doc: dict[str, Any], col: _Collector) -> Manifest | None:
    col.check_keys(doc, TOP_KEYS, ())
    schema = doc.get("schema")
    if schema is None:
        col.error(("schema",), f"is required; add `schema = {SCHEMA_VERSION}` at the top")
    elif not isinstance(schema, int) or isinstance(schema, bool):
        col.error(("schema",), f"must be an integer, not {_type_name(schema)} {_show(schema)}")
    elif schema != SCHEMA_VERSION:
        col.error(
            ("schema",),
            f"format version {schema} is not supported; this visgen reads schema {SCHEMA_VERSION}",
        )
    build = _build_settings(doc.get("build"), col)
    libraries_raw = doc.get("library")
    libraries: list[Library] = []
    if libraries_raw is None:
        col.error(("library",), "no library: add a [library.<name>] table")
    elif not _is_table(libraries_raw):
        col.error(
            ("library",),
            f"must be a table of libraries, not {_type_name(libraries_raw)} {_show(libraries_raw)}",
        )
    else:
        if not libraries_raw:
            col.error(("library",), "no library: add a [library.<name>] table")
        for name, table in libraries_raw.items():
            lib = _build_library(name, table, col)
            if lib is not None:
                libraries.append(lib)
    if col.errors:
        return None
    return Manifest(col.file, SCHEMA_VERSION, tuple(libraries), build)


def _build_settings(raw: object, col: _Collector) -> BuildSettings:
    if raw is None:
        return BuildSettings()
    path: KeyPath = ("build",)
    if not _is_table(raw):
        col.error(path, f"must be a table, not {_type_name(raw)} {_show(raw)}")
        return BuildSettings()
    col.check_keys(raw, BUILD_KEYS, path)
    manifest = col.string(raw, "manifest", path)
    problem = header_problem(manifest) if manifest is not None else None
    if problem:
        col.find("bad-path", (*path, "manifest"), f"{_show(manifest)} {problem}")
    check = col.choice(raw, "check", path, ("error", "warn", "off"), "error")
    return BuildSettings(manifest=manifest, check=cast("Any", check))


def _build_library(name: str, raw: object, col: _Collector) -> Library | None:
    path: KeyPath = ("library", name)
    if not _is_table(raw):
        col.error(path, f"must be a table, not {_type_name(raw)} {_show(raw)}")
        return None
    if not LIBRARY_NAME.fullmatch(name):
        col.find(
            "invalid-name",
            path,
            f"library name {name!r} must start with a letter or `_` and hold only letters, digits, `_` and `-`",
        )
    col.check_keys(raw, LIBRARY_KEYS, path)
    c_name = name.replace("-", "_")

    macro_prefix = col.string(raw, "macro-prefix", path)
    if macro_prefix is None:
        macro_prefix = c_name.upper()
    elif not C_IDENTIFIER.fullmatch(macro_prefix):
        col.find(
            "invalid-name", (*path, "macro-prefix"), f"{_show(macro_prefix)} is not a C identifier"
        )

    header = col.string(raw, "header", path)
    if header is None:
        header = f"{c_name}_export.h"
    else:
        problem = header_problem(header)
        if problem:
            col.find("bad-path", (*path, "header"), f"{_show(header)} {problem}")

    variants = _variants(raw, path, col)
    visibility = col.choice(raw, "visibility", path, ("hidden", "default"), "hidden")
    inlines_hidden = col.boolean(raw, "inlines-hidden", path, default=True)
    registration = _registration(raw.get("registration"), c_name, (*path, "registration"), col)
    groups = _groups(raw.get("exports"), (*path, "exports"), col)
    check = _check_policy(raw.get("check"), (*path, "check"), col)

    _check_nodes(groups, path, col)
    _check_duplicates(groups, col)
    if any(v in ("registered", "shared-registered") for v in variants):
        _check_registration_names(registration, groups, path, col)
    return Library(
        name=name,
        macro_prefix=macro_prefix,
        header=header,
        variants=variants,
        visibility=cast("Any", visibility),
        inlines_hidden=inlines_hidden,
        registration=registration,
        exports=tuple(groups),
        check=check,
        location=col.location(path),
    )


def _variants(raw: Mapping[str, Any], path: KeyPath, col: _Collector) -> tuple[Variant, ...]:
    if "variants" not in raw:
        return ("shared",)
    values = col.strings(raw, "variants", path)
    out: list[Variant] = []
    for i, value in enumerate(values):
        if value not in VARIANTS:
            col.find(
                "invalid-name",
                (*path, "variants", i),
                f"unknown variant {_show(value)}; variants are: {', '.join(VARIANTS)}",
                _suggest(value, VARIANTS),
            )
        elif value in out:
            col.find(
                "duplicate-symbol", (*path, "variants", i), f"variant {value!r} is listed twice"
            )
        else:
            out.append(value)
    if raw.get("variants") == []:
        col.find("invalid-name", (*path, "variants"), "is empty; list at least one variant")
    return tuple(out) or ("shared",)


def _registration(raw: object, c_name: str, path: KeyPath, col: _Collector) -> Registration:
    table: Mapping[str, Any] = {}
    if raw is not None:
        if _is_table(raw):
            table = raw
            col.check_keys(table, REGISTRATION_KEYS, path)
        else:
            col.error(path, f"must be a table, not {_type_name(raw)} {_show(raw)}")
    abi = col.choice(table, "abi", path, ("c", "mlir"), "c")
    if abi == "mlir":
        default_init, default_destroy = (
            "__mlir_execution_engine_init",
            "__mlir_execution_engine_destroy",
        )
    else:
        default_init, default_destroy = f"__{c_name}_init", f"__{c_name}_destroy"
    names: dict[str, str | None] = {}
    for key in ("init", "destroy", "on-init", "on-destroy"):
        value = col.string(table, key, path)
        if value is not None and not C_IDENTIFIER.fullmatch(value):
            col.find("invalid-name", (*path, key), f"{_show(value)} is not a C identifier")
        elif value in C_KEYWORDS:
            col.find(
                "invalid-name",
                (*path, key),
                f"{_show(value)} is a C or C++ keyword; the registration source cannot declare it",
            )
        names[key] = value
    return Registration(
        abi=cast("Any", abi),
        init=names["init"] or default_init,
        destroy=names["destroy"] or default_destroy,
        on_init=names["on-init"],
        on_destroy=names["on-destroy"],
    )


def _check_policy(raw: object, path: KeyPath, col: _Collector) -> CheckPolicy:
    if raw is None:
        return CheckPolicy()
    if not _is_table(raw):
        col.error(path, f"must be a table, not {_type_name(raw)} {_show(raw)}")
        return CheckPolicy()
    col.check_keys(raw, CHECK_KEYS, path)
    allow = col.strings(raw, "allow", path)
    for i, pattern in enumerate(allow):
        problem = glob_problem(pattern)
        if problem:
            col.find("invalid-name", (*path, "allow", i), f"pattern {_show(pattern)} {problem}")
    presets = col.strings(raw, "allow-presets", path)
    for i, preset in enumerate(presets):
        if preset not in ALLOW_PRESETS:
            col.find(
                "invalid-name",
                (*path, "allow-presets", i),
                f"unknown allow preset {_show(preset)}; presets are: {', '.join(ALLOW_PRESETS)}",
                _suggest(preset, ALLOW_PRESETS),
            )
    vague = col.choice(raw, "vague", path, ("error", "warn", "off"), "error")
    return CheckPolicy(
        tuple(allow), tuple(p for p in presets if p in ALLOW_PRESETS), cast("Any", vague)
    )


_ENTRY_LISTS: tuple[tuple[str, EntryKind], ...] = (
    ("symbols", "symbol"),
    ("globs", "glob"),
    ("cxx", "cxx"),
    ("data", "data"),
    ("optional", "optional"),
)


def _groups(raw: object, path: KeyPath, col: _Collector) -> list[ExportGroup]:
    if raw is None:
        return []
    if not _is_table_list(raw):
        col.error(
            path,
            f"must be an array of tables, not {_show(raw)}: write each group as [[library.<name>.exports]]",
        )
        return []
    groups = []
    for index, table in enumerate(raw):
        groups.append(_group(index, table, (*path, index), col))
    return groups


def _group(index: int, raw: dict[str, Any], path: KeyPath, col: _Collector) -> ExportGroup:
    col.check_keys(raw, GROUP_KEYS, path)
    node = col.string(raw, "node", path)
    if node is not None and not NODE_NAME.fullmatch(node):
        col.find(
            "invalid-name",
            (*path, "node"),
            f"version node {_show(node)} must start with a letter or `_` and hold only letters, digits, `_` and `.`",
        )
    elif node in SCRIPT_KEYWORDS:
        col.find(
            "invalid-name",
            (*path, "node"),
            f"version node {_show(node)} is a word of the version-script language; gold rejects it",
        )
    inherits = col.string(raw, "inherits", path)
    lists: dict[str, list[str]] = {}
    # per list: (order, key, entries); entries keep their index in the list
    parts: list[tuple[int, str, list[ExportEntry]]] = []
    for order, (key, kind) in enumerate(_ENTRY_LISTS):
        values = col.strings(raw, key, path)
        lists[key] = values
        if not values:
            continue
        list_path = (*path, key)
        resolve = col.resolver(list_path)
        if kind in ("symbol", "data") and _LINKAGE_LINES.fullmatch("\n".join(values)):
            made = ExportEntry.many(values, kind, resolve)
        else:
            made = []
            for i, text in enumerate(values):
                problem = _entry_problem(text, kind)
                if problem:
                    col.find("invalid-name", (*list_path, i), f"{_show(text)} {problem}")
                    continue
                made.append(ExportEntry(text, kind, resolve=resolve, index=i))
        parts.append((order, key, made))
    entries = _in_manifest_order(parts, path, col)
    platforms_raw = col.strings(raw, "platforms", path) if "platforms" in raw else list(PLATFORMS)
    platforms: set[Platform] = set()
    for i, value in enumerate(platforms_raw):
        if value in PLATFORMS:
            platforms.add(value)
        else:
            col.find(
                "invalid-name",
                (*path, "platforms", i),
                f"unknown platform {_show(value)}; platforms are: {', '.join(PLATFORMS)}",
                _suggest(value, PLATFORMS),
            )
    if raw.get("platforms") == []:
        col.find("invalid-name", (*path, "platforms"), "is empty; omit it to mean every platform")
    if all(raw.get(key) in (None, []) for key, _ in _ENTRY_LISTS):
        col.find(
            "invalid-name",
            path,
            "export group declares nothing; add symbols, globs, cxx, data or optional",
        )
    return ExportGroup(
        index=index,
        node=node,
        inherits=inherits,
        symbols=tuple(lists["symbols"]),
        globs=tuple(lists["globs"]),
        cxx=tuple(lists["cxx"]),
        data=tuple(lists["data"]),
        optional=tuple(lists["optional"]),
        platforms=frozenset(platforms or PLATFORMS),
        entries=entries,
        location=col.location(path),
    )


def _in_manifest_order(
    parts: list[tuple[int, str, list[ExportEntry]]], path: KeyPath, col: _Collector
) -> tuple[ExportEntry, ...]:
    """The entries of one group ordered by line, then list, then index.

    The lists of a group are separate keys, so their lines do not overlap and sorting
    the lists by their first line is enough; only lists inside an inline table can
    share lines, and then every entry's line is looked up.
    """
    if len(parts) == 1:
        return tuple(parts[0][2])
    spans = [col.span((*path, key)) for _, key, _ in parts]
    if all(sp is not None for sp in spans):
        ranked = sorted(zip(spans, parts, strict=True), key=lambda t: (t[0] or (0, 0), t[1][0]))
        disjoint = all(
            (a[0] or (0, 0))[1] < (b[0] or (0, 0))[0] for a, b in itertools.pairwise(ranked)
        )
        if disjoint:
            return tuple(e for _, (_, _, made) in ranked for e in made)
    keyed = [
        (e.location.line or 0, order * 100000 + i, e)
        for order, _key, made in parts
        for i, e in enumerate(made)
    ]
    keyed.sort(key=lambda t: (t[0], t[1]))
    return tuple(e for _, _, e in keyed)


def _entry_problem(text: str, kind: EntryKind) -> str | None:
    if kind in ("symbol", "data"):
        if is_linkage_name(text):
            return None
        if any(c in text for c in "*?["):
            return "is a pattern; list it under `globs` (or `cxx` for demangled C++)"
        if "::" in text or "(" in text:
            return "looks like a demangled C++ name; list it under `cxx`, or give the mangled name"
        return "is not a C identifier or a mangled C++ name"
    if kind == "glob":
        if "::" in text:
            return "looks like a demangled C++ pattern; list it under `cxx`"
        return glob_problem(text)
    if kind == "optional":
        return None if is_linkage_name(text) else glob_problem(text)
    return cxx_problem(text)


# -- cross-entry rules --------------------------------------------------------------------------


def _check_nodes(groups: list[ExportGroup], path: KeyPath, col: _Collector) -> None:
    defined = {g.node for g in groups if g.node is not None}
    parent: dict[str, str] = {}
    named = [g for g in groups if g.node is not None]
    for g in groups:
        gpath = (*path, "exports", g.index)
        if g.inherits is None:
            continue
        if g.node is None:
            col.find(
                "unknown-node", (*gpath, "inherits"), "`inherits` needs a `node` in the same group"
            )
            continue
        if g.inherits not in defined:
            col.find(
                "unknown-node",
                (*gpath, "inherits"),
                f"inherits {g.inherits!r}, which no export group defines",
                _suggest(g.inherits, sorted(defined)),
            )
            continue
        previous = parent.get(g.node)
        if previous is not None and previous != g.inherits:
            col.find(
                "unknown-node",
                (*gpath, "inherits"),
                f"node {g.node!r} already inherits {previous!r}; a node has one parent",
            )
            continue
        parent[g.node] = g.inherits
    reported: set[str] = set()
    for g in named:
        assert g.node is not None
        seen: list[str] = []
        node: str | None = g.node
        while node is not None and node not in seen:
            seen.append(node)
            node = parent.get(node)
        if node is not None and node == g.node and g.node not in reported:
            cycle = " -> ".join([*seen, node])
            reported.update(seen)
            col.find(
                "node-cycle",
                (*path, "exports", g.index, "inherits"),
                f"version nodes inherit in a loop: {cycle}",
            )
    if named and len(named) != len(groups):
        for g in groups:
            if g.node is None:
                # Existing libraries do this (zlib: its oldest names are unversioned), and
                # `visgen check` accepts them so; but a version script cannot say it, so
                # the generated one puts them in the first node: a warning, not an error.
                col.find(
                    "unknown-node",
                    (*path, "exports", g.index),
                    "export group has no `node` while others have one: a version script cannot "
                    f"mix unversioned and versioned exports, so generated files put its names in "
                    f"the first node, {named[0].node!r}",
                    f"give it a node, e.g. node = {named[0].node!r}",
                    severity="warning",
                )


_EXACT_KINDS = frozenset(("symbol", "data"))
_GLOB_CHAR = re.compile(r"[*?\[]")


def _exact_entries(group: ExportGroup) -> list[ExportEntry]:
    """The entries of ``group`` that are exact names, in order (``symbols`` and ``data``
    entries passed :func:`is_linkage_name`, so only the other kinds need a look)."""
    search = _GLOB_CHAR.search
    return [
        e
        for e in group.entries
        if e.kind in _EXACT_KINDS or (e.kind != "cxx" and search(e.text) is None)
    ]


def _check_duplicates(groups: list[ExportGroup], col: _Collector) -> None:
    """A name or pattern declared twice (on overlapping platforms), then shadowing."""
    exact_of = [_exact_entries(g) for g in groups]
    seen_pattern = _distinct_patterns(groups, exact_of, col)
    has_glob = any(e.kind != "cxx" for _, e in seen_pattern)
    texts = [e.text for exact in exact_of for e in exact]
    if len(set(texts)) != len(texts):
        seen_exact = _distinct_names(groups, exact_of, col)
    elif has_glob:
        # no name is listed twice (the common case): take them in bulk
        seen_exact = {
            e.text: (g, e) for g, exact in zip(groups, exact_of, strict=True) for e in exact
        }
    else:
        return  # nothing repeated, nothing to shadow: no name table (45k names at times)
    if has_glob:
        _check_shadowing(seen_exact, seen_pattern, col)


def _distinct_names(
    groups: list[ExportGroup], exact_of: list[list[ExportEntry]], col: _Collector
) -> dict[str, tuple[ExportGroup, ExportEntry]]:
    """Exact name -> its group and entry; a name declared twice is reported, not kept."""
    seen: dict[str, tuple[ExportGroup, ExportEntry]] = {}
    for g, exact in zip(groups, exact_of, strict=True):
        for e in exact:
            prior = seen.get(e.text)
            if prior and prior[0].platforms & g.platforms:
                col.find_at(
                    "duplicate-symbol",
                    e.location,
                    f"{e.text!r} is declared twice (first at line {prior[1].location.line})",
                )
                continue
            seen[e.text] = (g, e)
    return seen


def _distinct_patterns(
    groups: list[ExportGroup], exact_of: list[list[ExportEntry]], col: _Collector
) -> list[tuple[ExportGroup, ExportEntry]]:
    """The patterns in manifest order; one declared twice is reported, not kept."""
    seen_pattern: list[tuple[ExportGroup, ExportEntry]] = []
    # the patterns seen so far by (text, kind), in order: the candidates for a duplicate
    same_text: dict[tuple[str, str], list[tuple[ExportGroup, ExportEntry]]] = {}
    for g, exact in zip(groups, exact_of, strict=True):
        if len(exact) == len(g.entries):
            continue
        for e in g.entries:
            if not e.is_pattern:
                continue
            dup = next(
                (p for p in same_text.get((e.text, e.kind), ()) if p[0].platforms & g.platforms),
                None,
            )
            if dup:
                col.find_at(
                    "duplicate-symbol",
                    e.location,
                    f"pattern {e.text!r} is declared twice (first at line {dup[1].location.line})",
                )
                continue
            seen_pattern.append((g, e))
            same_text.setdefault((e.text, e.kind), []).append((g, e))
    return seen_pattern


def _check_shadowing(
    seen_exact: dict[str, tuple[ExportGroup, ExportEntry]],
    seen_pattern: list[tuple[ExportGroup, ExportEntry]],
    col: _Collector,
) -> None:
    """An exact name also matched by a glob, or a glob inside an earlier glob."""
    globs = [(g, e) for g, e in seen_pattern if e.kind != "cxx"]
    if not globs:
        return
    if _check_shadowing_indexed(seen_exact, globs, col):
        return
    for name, (g, e) in seen_exact.items():
        for pg, pe in globs:
            if pg.platforms & g.platforms and _patterns_overlap(pe.text, name):
                col.find_at(
                    "shadowed-pattern",
                    e.location,
                    f"{name!r} is also matched by pattern {pe.text!r} (line {pe.location.line})",
                    "linkers disagree on which entry wins (GNU ld picks the exact name, mold 1.10 the "
                    "pattern); narrow the pattern or drop the name",
                )
                break
    for i, (g, e) in enumerate(globs):
        for pg, pe in globs[:i]:
            if pg.platforms & g.platforms and _patterns_overlap(pe.text, e.text):
                col.find_at(
                    "shadowed-pattern",
                    e.location,
                    f"pattern {e.text!r} is already covered by pattern {pe.text!r} (line {pe.location.line})",
                )
                break


def _check_shadowing_indexed(
    seen_exact: dict[str, tuple[ExportGroup, ExportEntry]],
    globs: list[tuple[ExportGroup, ExportEntry]],
    col: _Collector,
) -> bool:
    """:func:`_check_shadowing` through :class:`~visgen.match.PatternIndex`, when that
    gives the same findings: every group involved shares a platform (so every pair
    overlaps), and the globs use only ``*`` and ``?`` (the index and :mod:`fnmatch`
    read those alike; ``[...]`` classes differ at the edges, such as ``[^...]``, which
    the index, like glibc, reads as a negation). The index answers "the first
    glob, in manifest order, that matches this text", which is the entry both loops
    look for: for a glob, the shadowing one exists when that first glob comes earlier.
    Returns False (nothing done) when the loops must run instead."""
    from visgen.match import PatternIndex

    groups = [g for g, _ in globs] + [g for g, _ in seen_exact.values()]
    if not frozenset.intersection(*(g.platforms for g in groups)):
        return False
    if any("[" in e.text or "\\" in e.text for _, e in globs):
        return False
    entries = [e for _, e in globs]
    index = PatternIndex(entries)
    exact = list(seen_exact.items())
    for (name, (_g, e)), pe in zip(
        exact, index.match_list([name for name, _ in exact]), strict=True
    ):
        if pe is not None:
            col.find_at(
                "shadowed-pattern",
                e.location,
                f"{name!r} is also matched by pattern {pe.text!r} (line {pe.location.line})",
                "linkers disagree on which entry wins (GNU ld picks the exact name, mold 1.10 the "
                "pattern); narrow the pattern or drop the name",
            )
    order = {e: i for i, e in enumerate(entries)}
    for i, (e, pe) in enumerate(
        zip(entries, index.match_list([e.text for e in entries]), strict=True)
    ):
        if pe is not None and order[pe] < i:
            col.find_at(
                "shadowed-pattern",
                e.location,
                f"pattern {e.text!r} is already covered by pattern {pe.text!r} (line {pe.location.line})",
            )
    return True


def _check_registration_names(
    reg: Registration, groups: list[ExportGroup], path: KeyPath, col: _Collector
) -> None:
    rpath = (*path, "registration")
    if reg.init == reg.destroy:
        col.find("duplicate-symbol", (*rpath, "destroy"), f"init and destroy are both {reg.init!r}")
    for key, name in (("init", reg.init), ("destroy", reg.destroy)):
        for g in groups:
            clash = _first_clash(g, name)
            if clash is not None:
                col.find(
                    "duplicate-symbol",
                    (*rpath, key),
                    f"registration {key} {name!r} clashes with export {clash.text!r} (line {clash.location.line})",
                    "rename the registration symbol or the export",
                )
                break


def _first_clash(group: ExportGroup, name: str) -> ExportEntry | None:
    """The first entry of ``group`` that is ``name`` or a glob matching it."""
    lists = (group.symbols, group.data, group.globs, group.optional, group.cxx)
    if not group.globs and not group.optional and not any(name in lst for lst in lists):
        return None  # neither listed nor matchable: no need to walk the entries
    entries = group.entries
    texts = [e.text for e in entries]
    best: int | None = None
    if name in texts:
        i = texts.index(name)
        while True:
            e = entries[i]
            if not e.is_pattern or (e.kind != "cxx" and _patterns_overlap(e.text, name)):
                best = i
                break
            try:
                i = texts.index(name, i + 1)
            except ValueError:
                break
    for i, e in enumerate(entries):
        if best is not None and i >= best:
            break
        if e.kind in ("glob", "optional") and e.is_pattern and _patterns_overlap(e.text, name):
            best = i
            break
    return None if best is None else entries[best]
