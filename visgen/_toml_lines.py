"""Line numbers for TOML key paths, which :mod:`tomllib` does not give, and a fast parse.

A small scanner walks the text once and records the line of every table header, every
key and every array element, keyed by the path tomllib's data would use
(``("library", "asyncrt", "exports", 1, "symbols", 0)``). It only has to be right for
files tomllib accepted, so it is lenient by design: a path it cannot place falls back to
the nearest enclosing path that it can.

Large manifests are mostly long arrays of plain names (``visgen extract`` writes 45,000
of them for libLLVM), where both tomllib and a character loop spend their time. The
scanner therefore recognises, with one regular expression, a *bulk array*: at least
:data:`BULK_MIN` basic strings without escapes or control characters, separated by
commas, blanks, newlines and comments. It keeps such an array's place and span (element
lines are worked out only when a message asks for one), and :func:`parse` hands tomllib
a *skeleton* of the document in which each bulk array is a one-string placeholder, then
puts the names back. The regular expression accepts only text that tomllib accepts in
the same place, so the skeleton parses exactly when the document does; when it does not,
the document itself is parsed again so the error is tomllib's own, with its line and
column.
"""

from __future__ import annotations

import re

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# check (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["BULK_MIN", "KeyPath", "LineIndex", "parse"]


def __dir__() -> list[str]:
    return list(__all__)


KeyPath = tuple[str | int, ...]

BULK_MIN = 32
"""Arrays with fewer plain strings than this are parsed and indexed the ordinary way."""

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

# Pieces of a bulk array; each accepts only what tomllib accepts there.
_COMMENT = r"#[^\x00-\x08\x0a-\x1f\x7f]*(?=\n)"  # tab allowed; ends at LF (not CRLF)
_GAP = rf"(?:[ \t\n]|{_COMMENT})*"
_PLAIN_STR = r'"[^"\\\x00-\x08\x0a-\x1f\x7f]*"'
_BULK_ARRAY = re.compile(rf"\[{_GAP}(?:{_PLAIN_STR}{_GAP},{_GAP})*(?:{_PLAIN_STR}{_GAP})?\]")
_BULK_TOKEN = re.compile(r'#[^\n]*|"[^"]*"')
"""Inside a bulk array: a comment or a string, taken left to right (so a quote inside a
comment never starts a string)."""
_PLACEHOLDER = "\0visgen-bulk:"
_MARKER = "visgen-bulk:"

_BASIC = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_ML_BASIC = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""', re.DOTALL)


def _split_key(text: str) -> list[str] | None:
    """Split a dotted key (``a."b.c".d``) into parts; None if it is not a key."""
    parts: list[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return None
        if text[i] in "\"'":
            quote = text[i]
            j = i + 1
            buf = []
            while j < n and text[j] != quote:
                if quote == '"' and text[j] == "\\" and j + 1 < n:
                    buf.append(text[j + 1])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if j >= n:
                return None
            parts.append("".join(buf))
            i = j + 1
        else:
            m = _BARE_KEY.match(text, i)
            if not m:
                return None
            parts.append(m.group())
            i = m.end()
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return parts
        if text[i] != ".":
            return None
        i += 1


class _Bulk:
    """A bulk array: where it is, its names, and (on demand) each element's line."""

    __slots__ = ("end", "line", "lines", "start", "values")

    def __init__(self, start: int, end: int, line: int, values: list[str]) -> None:
        self.start = start
        self.end = end
        self.line = line
        self.values = values
        self.lines: list[int] | None = None


class LineIndex:
    """Maps key paths of one TOML document to 1-based line numbers."""

    def __init__(self, text: str, *, bulk: bool = True) -> None:
        self._text = text
        self._lines: dict[KeyPath, int] = {}
        self._aot_count: dict[tuple[str | int, ...], int] = {}
        self._spans: dict[KeyPath, tuple[int, int]] = {}
        self._bulk: dict[KeyPath, _Bulk] = {}
        self._use_bulk = bulk
        self._scan(text)
        if not self._bulk:
            self._text = ""

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of its nearest enclosing path that has one."""
        p = tuple(path)
        if len(p) > 1 and isinstance(p[-1], int) and p[:-1] in self._bulk:
            lines = self._bulk_lines(self._bulk[p[:-1]])
            if 0 <= p[-1] < len(lines):
                return lines[p[-1]]
        while p:
            if p in self._lines:
                return self._lines[p]
            p = p[:-1]
        return None

    def span(self, path: KeyPath) -> tuple[int, int] | None:
        """First and last line of the array value at ``path`` (None if not an array)."""
        return self._spans.get(tuple(path))

    def bulk_arrays(self) -> list[tuple[int, int, list[str]]]:
        """``(start, end, names)`` of every bulk array, in document order."""
        return [(b.start, b.end, b.values) for b in self._bulk.values()]

    # -- bulk arrays ------------------------------------------------------------------

    def _bulk_lines(self, b: _Bulk) -> list[int]:
        if b.lines is None:
            text = self._text
            lines: list[int] = []
            line = b.line
            pos = b.start + 1
            for m in _BULK_TOKEN.finditer(text, pos, b.end):
                start = m.start()
                if text[start] == "#":
                    continue
                line += text.count("\n", pos, start)
                pos = start
                lines.append(line)
            b.lines = lines
        return b.lines

    # -- scanning -------------------------------------------------------------------

    def _record(self, path: KeyPath, line: int) -> None:
        self._lines.setdefault(path, line)

    def _scan(self, text: str) -> None:
        table: KeyPath = ()
        pos = 0
        n = len(text)
        line = 1
        while pos < n:
            end = text.find("\n", pos)
            if end < 0:
                end = n
            raw = text[pos:end]
            stripped = raw.strip()
            if stripped.startswith("[["):
                close = stripped.find("]]")
                parts = _split_key(stripped[2:close]) if close > 0 else None
                if parts is not None:
                    base: tuple[str | int, ...] = tuple(parts)
                    idx = self._aot_count.get(base, 0)
                    self._aot_count[base] = idx + 1
                    table = (*base, idx)
                    self._record(base, line)
                    self._record(table, line)
                pos = end + 1
                line += 1
                continue
            if stripped.startswith("["):
                close = stripped.find("]")
                parts = _split_key(stripped[1:close]) if close > 0 else None
                if parts is not None:
                    table = self._resolve_aot(tuple(parts))
                    self._record(table, line)
                pos = end + 1
                line += 1
                continue
            if not stripped or stripped.startswith("#"):
                pos = end + 1
                line += 1
                continue
            eq = self._find_equals(raw)
            if eq < 0:
                pos = end + 1
                line += 1
                continue
            parts = _split_key(raw[:eq])
            if parts is None:
                pos = end + 1
                line += 1
                continue
            key_path: KeyPath = (*table, *parts)
            self._record(key_path, line)
            # scan the value, which may span lines (arrays, multi-line strings)
            pos, line = self._scan_value(text, pos + eq + 1, line, key_path)
            # skip to end of the current line
            nl = text.find("\n", pos)
            if nl < 0:
                break
            pos = nl + 1
            line += 1

    def _resolve_aot(self, parts: tuple[str, ...]) -> KeyPath:
        """``[a.b.c]`` below ``[[a.b]]`` means the last element of array ``a.b``."""
        out: list[str | int] = []
        for part in parts:
            out.append(part)
            count = self._aot_count.get(tuple(out))
            if count:
                out.append(count - 1)
        return tuple(out)

    @staticmethod
    def _find_equals(raw: str) -> int:
        quote = ""
        for i, ch in enumerate(raw):
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "=":
                return i
            elif ch == "#":
                return -1
        return -1

    def _try_bulk(self, text: str, pos: int, line: int, path: KeyPath) -> tuple[int, int] | None:
        """Take the array at ``pos`` in one step if it is a bulk array."""
        m = _BULK_ARRAY.match(text, pos)
        if m is None:
            return None
        end = m.end()
        values = [t[1:-1] for t in _BULK_TOKEN.findall(text, pos + 1, end) if t[0] == '"']
        if len(values) < BULK_MIN:
            return None
        last = line + text.count("\n", pos, end)
        self._bulk[path] = _Bulk(pos, end, line, values)
        self._spans[path] = (line, last)
        return end, last

    def _scan_value(self, text: str, pos: int, line: int, path: KeyPath) -> tuple[int, int]:
        """Walk one value starting at ``pos``; record array elements. Returns (pos, line)."""
        n = len(text)
        # stack of (path, next element index) for open arrays; None for inline tables
        stack: list[tuple[KeyPath, int] | None] = []
        expecting = False
        first_line = line
        last_elem = line
        while pos < n:
            ch = text[pos]
            if ch == "\n":
                line += 1
                pos += 1
                if not stack:
                    return pos - 1, line - 1
                continue
            if ch in " \t\r,":
                if ch == "," and stack and stack[-1] is not None:
                    expecting = True
                pos += 1
                continue
            if ch == "#":
                nl = text.find("\n", pos)
                pos = n if nl < 0 else nl
                continue
            if not stack and ch == "[" and self._use_bulk:
                took = self._try_bulk(text, pos, line, path)
                if took is not None:
                    return took
            top = stack[-1] if stack else None
            if top is not None and expecting and ch != "]":
                arr_path, idx = top
                self._record((*arr_path, idx), line)
                last_elem = line
                stack[-1] = (arr_path, idx + 1)
                expecting = False
            if ch == "[":
                elem_path = path if not stack else self._current_elem(stack, path)
                stack.append((elem_path, 0))
                expecting = True
                pos += 1
                continue
            if ch == "]":
                if stack:
                    stack.pop()
                pos += 1
                expecting = False
                if not stack:
                    self._spans.setdefault(path, (first_line, last_elem))
                    return pos, line
                continue
            if ch == "{":
                stack.append(None)
                pos += 1
                continue
            if ch == "}":
                if stack:
                    stack.pop()
                pos += 1
                if not stack:
                    return pos, line
                continue
            if ch in "\"'":
                pos, line = self._skip_string(text, pos, line)
                if not stack:
                    return pos, line
                continue
            # a bare scalar: number, bool, date
            while pos < n and text[pos] not in ",]}\n#":
                pos += 1
            if not stack:
                return pos, line
        return pos, line

    @staticmethod
    def _current_elem(stack: list[tuple[KeyPath, int] | None], path: KeyPath) -> KeyPath:
        top = stack[-1]
        if top is None:
            return path
        arr_path, idx = top
        return (*arr_path, idx - 1)

    @staticmethod
    def _skip_string(text: str, pos: int, line: int) -> tuple[int, int]:
        quote = text[pos]
        triple = text.startswith(quote * 3, pos)
        if quote == "'":
            delim = quote * 3 if triple else quote
            end = text.find(delim, pos + len(delim))
            end = len(text) if end < 0 else end + len(delim)
        else:
            m = (_ML_BASIC if triple else _BASIC).match(text, pos)
            end = len(text) if m is None else m.end()
        return end, line + text.count("\n", pos, end)


def parse(text: str) -> tuple[dict[str, Any], LineIndex]:
    """``tomllib.loads(text)`` and the :class:`LineIndex` of ``text``, with bulk arrays
    taken by one regular expression each. Raises :class:`tomllib.TOMLDecodeError` exactly
    as ``tomllib.loads(text)`` does."""
    import tomllib  # here, not at the top: a cached manifest is never parsed

    use_bulk = _MARKER not in text
    lines = LineIndex(text, bulk=use_bulk)
    bulk = lines.bulk_arrays()
    if not bulk:
        return tomllib.loads(text), lines
    pieces: list[str] = []
    pos = 0
    for k, (start, end, _values) in enumerate(bulk):
        pieces.append(text[pos:start])
        pieces.append(f'["\\u0000{_MARKER}{k}"]')
        pos = end
    pieces.append(text[pos:])
    try:
        doc = tomllib.loads("".join(pieces))
    except tomllib.TOMLDecodeError:
        return tomllib.loads(text), lines  # the document's own error (or, never, its data)
    values = [v for _s, _e, v in bulk]
    _fill(doc, values)
    return doc, lines


def _fill(node: Any, values: list[list[str]]) -> None:
    """Put the bulk arrays back in place of their placeholders."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if isinstance(value, list):
            if len(value) == 1 and isinstance(value[0], str) and value[0].startswith(_PLACEHOLDER):
                node[key] = values[int(value[0][len(_PLACEHOLDER) :])]
                continue
            _fill(value, values)
        elif isinstance(value, dict):
            _fill(value, values)
