"""Line numbers for TOML key paths, which :mod:`tomllib` does not give.

A small scanner that walks the text once and records the line of every table header,
every key and every array element, keyed by the path tomllib's data would use
(``("library", "asyncrt", "exports", 1, "symbols", 0)``). It only has to be right for
files tomllib accepted, so it is lenient by design: a path it cannot place falls back to
the nearest enclosing path that it can.
"""

from __future__ import annotations

import re

__all__ = ["KeyPath", "LineIndex"]


def __dir__() -> list[str]:
    return list(__all__)


KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


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


class LineIndex:
    """Maps key paths of one TOML document to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._lines: dict[KeyPath, int] = {}
        self._aot_count: dict[tuple[str | int, ...], int] = {}
        self._scan(text)

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of its nearest enclosing path that has one."""
        p = tuple(path)
        while p:
            if p in self._lines:
                return self._lines[p]
            p = p[:-1]
        return None

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

    def _scan_value(self, text: str, pos: int, line: int, path: KeyPath) -> tuple[int, int]:
        """Walk one value starting at ``pos``; record array elements. Returns (pos, line)."""
        n = len(text)
        # stack of (path, next element index) for open arrays; None for inline tables
        stack: list[tuple[KeyPath, int] | None] = []
        expecting = False
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
            top = stack[-1] if stack else None
            if top is not None and expecting and ch != "]":
                arr_path, idx = top
                self._record((*arr_path, idx), line)
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
        delim = quote * 3 if triple else quote
        i = pos + len(delim)
        n = len(text)
        while i < n:
            if quote == '"' and text[i] == "\\":
                if i + 1 < n and text[i + 1] == "\n":
                    line += 1
                i += 2
                continue
            if text[i] == "\n":
                line += 1
            if text.startswith(delim, i):
                return i + len(delim), line
            i += 1
        return n, line
