"""The bulk-array fast path of :func:`visgen._toml_lines.parse` agrees with tomllib."""

from __future__ import annotations

import pickle
import tomllib
from typing import TYPE_CHECKING

import pytest

from visgen._toml_lines import BULK_MIN, LineIndex, parse
from visgen.manifest import read_manifest

if TYPE_CHECKING:
    from pathlib import Path

N = BULK_MIN + 8


def _names(n: int = N) -> list[str]:
    return [f"fn_{i}" for i in range(n)]


def _array(names: list[str], sep: str = ",\n  ", comment: str = "") -> str:
    return "[\n  " + sep.join(f'"{n}"{comment}' for n in names) + "\n]"


DOCS = [
    "schema = 1\n[library.a]\n[[library.a.exports]]\nsymbols = " + _array(_names()) + "\n",
    # comments holding quotes, brackets and '#', a trailing comma, a blank line
    "[t]\nx = [\n" + "".join(f'  "n{i}",  # "q{i}" ] [ # x\n' for i in range(N)) + "\n]\ny = 2\n",
    # several bulk arrays and small ones, in arrays of tables
    "[[g]]\na = "
    + _array(_names())
    + '\nb = ["x", "y"]\n[[g]]\na = '
    + _array(_names(N + 3))
    + "\n",
    # one line, no newlines
    'k = ["' + '", "'.join(_names()) + '"]\n',
    # escapes and literal strings are not bulk: the ordinary path
    'k = ["a\\tb", ' + ", ".join(f"'{n}'" for n in _names()) + "]\n",
    # a placeholder-looking value in the document disables the fast path
    'k = ["\\u0000visgen-bulk:0"]\nj = ' + _array(_names()) + "\n",
    # CRLF line ends
    ("k = " + _array(_names()) + "\n").replace("\n", "\r\n"),
    # an inline table holding a long array (not bulk: not at the top of a value)
    "t = { a = " + _array(_names(), sep=", ").replace("\n", "") + " }\n",
]


@pytest.mark.parametrize("text", DOCS)
def test_parse_equals_tomllib(text: str) -> None:
    doc, _lines = parse(text)
    assert doc == tomllib.loads(text)


BAD = [
    # an error after a bulk array keeps tomllib's own message (line and column)
    "k = " + _array(_names()) + "\nbad = = 1\n",
    # a duplicate key
    "k = " + _array(_names()) + "\nk = 1\n",
    # a control character in a comment inside an array
    "k = [\n" + "".join(f'  "n{i}", # \x01\n' for i in range(N)) + "]\n",
    # a bare CR
    "k = [\n" + "".join(f'  "n{i}",\r' for i in range(N)) + "]\n",
    # a missing comma
    'k = [\n  "a"\n  "b",\n' + "".join(f'  "n{i}",\n' for i in range(N)) + "]\n",
]


@pytest.mark.parametrize("text", BAD)
def test_parse_errors_are_tomllibs(text: str) -> None:
    with pytest.raises(tomllib.TOMLDecodeError) as expected:
        tomllib.loads(text)
    with pytest.raises(tomllib.TOMLDecodeError) as got:
        parse(text)
    assert str(got.value) == str(expected.value)


def test_bulk_lines_match_ordinary_scan() -> None:
    text = DOCS[1]
    fast = LineIndex(text)
    slow = LineIndex(text, bulk=False)
    for i in range(N + 2):
        assert fast.line(("t", "x", i)) == slow.line(("t", "x", i))
    assert fast.line(("t", "y")) == slow.line(("t", "y")) == N + 5
    assert fast.span(("t", "x")) == (2, N + 4)


def _manifest(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "visgen.toml"
    path.write_text("schema = 1\n[library.big]\n" + body)
    return path


def test_big_manifest_entries_order_and_locations(tmp_path: Path) -> None:
    names = _names()
    body = (
        "[[library.big.exports]]\n"
        'globs = ["glob_*"]\n'
        f"symbols = {_array(names)}\n"
        'data = ["var_a", "var_b"]\n'
    )
    manifest, findings = read_manifest(_manifest(tmp_path, body))
    assert findings == ()
    entries = manifest.libraries[0].exports[0].entries
    assert [e.text for e in entries] == ["glob_*", *names, "var_a", "var_b"]
    assert entries[1].location.line == 6
    assert entries[1].location.key == "library.big.exports[0].symbols[0]"
    assert entries[N].location.line == 5 + N
    assert entries[-1].location.line == 7 + N
    assert entries[3] == entries[3]
    assert entries[3] != entries[4]
    again = pickle.loads(pickle.dumps(entries[5]))
    assert (again.text, again.kind, again.location) == (
        entries[5].text,
        entries[5].kind,
        entries[5].location,
    )


def test_big_manifest_findings(tmp_path: Path) -> None:
    names = _names()
    bad = [*names[:3], "not a name", *names[3:], names[7]]
    body = f"[[library.big.exports]]\nsymbols = {_array(bad)}\n"
    _manifest_path = _manifest(tmp_path, body)
    _m, findings = read_manifest(_manifest_path)
    got = [(f.rule, f.location.line if f.location else None) for f in findings]
    assert got == [("invalid-name", 8), ("duplicate-symbol", 4 + len(bad))]
