from __future__ import annotations

import fnmatch
import shutil
import subprocess
from pathlib import Path

import pytest

from visgen.demangle import demangle, demangle_many
from visgen.match import PatternIndex, glob_to_regex, is_glob, mangled_fragments
from visgen.model import EntryKind, ExportEntry, Location


def entry(text: str, kind: EntryKind = "symbol", line: int = 1) -> ExportEntry:
    return ExportEntry(text, kind, Location("m.toml", line, "library.x.exports"))


def entries(*specs: tuple[str, EntryKind]) -> list[ExportEntry]:
    return [entry(t, k, i + 1) for i, (t, k) in enumerate(specs)]


def test_is_glob() -> None:
    assert is_glob("a*")
    assert is_glob("a?")
    assert is_glob("a[bc]")
    assert not is_glob("abc")


@pytest.mark.parametrize(
    "pattern",
    ["a*", "*b", "a?c", "[ab]x", "[!ab]x", "[^ab]x", "a.b*", "x[", "x[]]", "**", "a*b*c", "\\*a"],
)
def test_glob_to_regex_agrees_with_fnmatch(pattern: str) -> None:
    import re

    rx = re.compile(glob_to_regex(pattern), re.DOTALL)
    names = ["a", "ab", "abc", "ax", "bx", "cx", "a.bq", "x[", "x]", "xx", "aXbYc", "*a", "", "]x"]
    for name in names:
        expected = fnmatch.fnmatchcase(name, pattern)
        if pattern == "\\*a":
            expected = name == "*a"
        if pattern == "[^ab]x":  # glibc's fnmatch (used by ld) negates with ^ too
            expected = fnmatch.fnmatchcase(name, "[!ab]x")
        assert bool(rx.fullmatch(name)) == expected, (pattern, name)


def test_exact_wins_over_earlier_pattern() -> None:
    es = entries(("foo*", "glob"), ("foo_bar", "symbol"))
    idx = PatternIndex(es)
    assert idx.match("foo_bar") is es[1]
    assert idx.match("foo_baz") is es[0]
    assert idx.match("bar") is None
    assert idx.hits[es[0]] == 1
    assert idx.hits[es[1]] == 1


def test_first_pattern_in_manifest_order_wins() -> None:
    es = entries(("a*", "glob"), ("ab*", "glob"), ("*", "glob"))
    idx = PatternIndex(es)
    assert idx.match("abc") is es[0]
    assert idx.match("zz") is es[2]
    assert idx.unmatched() == [es[1]]


def test_cxx_patterns_match_demangled_names() -> None:
    es = entries(
        ("asyncrt::Runtime::*", "cxx"),
        ("asyncrt::free(int)", "cxx"),
        ("_ZN7asyncrt*", "glob"),
    )
    idx = PatternIndex(es)
    assert idx.match("_ZN7asyncrt7Runtime5startEv") is es[0]
    assert idx.match("_ZN7asyncrt4freeEi") is es[1]
    assert idx.match("_ZN7asyncrt5otherEv") is es[2]
    assert idx.match("asyncrt_c") is None


def test_cxx_pattern_before_glob_wins_and_glob_before_cxx_wins() -> None:
    es = entries(("_ZN1a*", "glob"), ("a::*", "cxx"))
    assert PatternIndex(es).match("_ZN1a1fEv") is es[0]
    es = entries(("a::*", "cxx"), ("_ZN1a*", "glob"))
    assert PatternIndex(es).match("_ZN1a1fEv") is es[0]


def test_cxx_pattern_matches_c_names_like_ld() -> None:
    es = entries(("asyncrt*", "cxx"))
    assert PatternIndex(es).match("asyncrtCreate") is es[0]


def test_data_and_optional_entries() -> None:
    es = entries(("ver", "data"), ("dbg*", "optional"), ("opt", "optional"))
    idx = PatternIndex(es)
    assert idx.match_names(["ver", "dbgDump", "opt", "x"]) == {
        "ver": es[0],
        "dbgDump": es[1],
        "opt": es[2],
    }
    assert idx.unmatched() == []


def test_mangled_fragments() -> None:
    assert mangled_fragments("asyncrt::Runtime::*") == ("7asyncrt", "7Runtime")
    assert mangled_fragments("asyncrt::Run*") == ("7asyncrt",)
    assert mangled_fragments("std::vector<int>::*") == ("6vector",)
    assert mangled_fragments("*") == ()
    assert mangled_fragments("typeinfo for asyncrt::X") == ("7asyncrt", "1X")


def test_demangle() -> None:
    assert demangle("_ZN7asyncrt7Runtime5startEv") == "asyncrt::Runtime::start()"
    assert demangle("plain") == "plain"
    assert demangle("_Znot_valid!") == "_Znot_valid!"
    assert demangle_many(["_ZTVSt9exception", "x"]) == {
        "_ZTVSt9exception": "vtable for std::exception",
        "x": "x",
    }


def test_cxxfilt_fallback_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("c++filt") is None:
        pytest.skip("c++filt not installed")
    import visgen.demangle as d

    names = ["_ZN7asyncrt7Runtime5startEv", "_ZTVSt9exception", "_ZSt4cout", "c_name"]
    direct = d.demangle_many(names)
    monkeypatch.setattr(d, "_cxa_demangler", lambda: None)
    assert d.demangle_many(names) == direct


def _libstdcxx_names() -> list[str]:
    for cand in ("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6"):
        if Path(cand).exists() and shutil.which("nm"):
            out = subprocess.run(
                ["nm", "-D", "--defined-only", cand], capture_output=True, text=True, check=True
            ).stdout
            return [line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()]
    pytest.skip("libstdc++ or nm not available")


def test_bulk_agrees_with_fnmatch_reference() -> None:
    names = _libstdcxx_names()
    es = entries(
        ("_ZNSt6chrono*", "glob"),
        ("std::__cxx11::basic_string*", "cxx"),
        ("std::exception::*", "cxx"),
        ("*locale*", "cxx"),
        ("_ZNSs*", "glob"),
        ("__cxa_*", "glob"),
        ("_ZTVSt9exception", "symbol"),
        ("typeinfo for std::*", "cxx"),
        ("std::terminate()", "cxx"),
    )
    idx = PatternIndex(es)
    got = idx.match_names(names)
    dm = demangle_many(names)
    for name in names:
        exact = [e for e in es if not e.is_pattern and e.text in (name, dm[name])]
        pats = [
            e
            for e in es
            if e.is_pattern and fnmatch.fnmatchcase(dm[name] if e.is_cxx else name, e.text)
        ]
        want = exact[0] if exact else (pats[0] if pats else None)
        assert got.get(name) is want, name
    assert idx.unmatched() == []


def _reference(es: list[ExportEntry], name: str) -> ExportEntry | None:
    """First entry in manifest order, exact names first (fnmatch over linkage names)."""
    exact = [e for e in es if not e.is_pattern and e.text == name]
    if exact:
        return exact[0]
    return next((e for e in es if e.is_pattern and fnmatch.fnmatchcase(name, e.text)), None)


@pytest.mark.parametrize("seed", range(40))
def test_prefix_table_agrees_with_fnmatch(seed: int) -> None:
    """Nested, sibling and repeated prefix globs in any order, mixed with other globs."""
    import random

    rng = random.Random(seed)
    alphabet = "ab_Z"

    def word(lo: int, hi: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))

    specs: list[tuple[str, EntryKind]] = []
    for _ in range(rng.randint(1, 14)):
        roll = rng.random()
        if roll < 0.6:
            specs.append((word(0, 4) + "*" * rng.randint(1, 2), "glob"))
        elif roll < 0.75:
            specs.append((word(0, 2) + "?" + word(0, 2) + "*", "glob"))
        elif roll < 0.85:
            specs.append((word(1, 4) + "*", "optional"))
        else:
            specs.append((word(1, 5), "symbol"))
    es = entries(*specs)
    names = sorted({word(0, 6) for _ in range(300)} | {t.rstrip("*") for t, _ in specs})
    idx = PatternIndex(es)
    got = idx.match_names(names)
    for name in names:
        assert got.get(name) is _reference(es, name), (specs, name)
        assert PatternIndex(es).match(name) is _reference(es, name), (specs, name)


@pytest.mark.parametrize("seed", range(20))
def test_indexed_shadowing_agrees_with_the_loops(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lint's shadowed-pattern findings through the index equal those of the fnmatch loops."""
    import random

    from visgen import manifest as m
    from visgen._toml_lines import LineIndex
    from visgen.model import ExportGroup

    rng = random.Random(seed)

    def word(lo: int, hi: int) -> str:
        return "".join(rng.choice("abc") for _ in range(rng.randint(lo, hi)))

    group = ExportGroup(index=0, node=None, inherits=None)
    names = list(dict.fromkeys(word(1, 4) for _ in range(10)))
    exact = {k: (group, entry(k, "symbol", 100 + i)) for i, k in enumerate(names)}
    texts = list(dict.fromkeys(word(0, 3) + rng.choice(["*", "?*", "*b", "**"]) for _ in range(12)))
    globs = [(group, entry(t, "glob", 200 + i)) for i, t in enumerate(texts)]

    col = m._Collector("m.toml", LineIndex(""), ())
    assert m._check_shadowing_indexed(exact, globs, col)
    indexed = [(f.rule, f.message) for f in col.findings]
    monkeypatch.setattr(m, "_check_shadowing_indexed", lambda *_: False)
    col = m._Collector("m.toml", LineIndex(""), ())
    m._check_shadowing(exact, globs, col)
    assert indexed == [(f.rule, f.message) for f in col.findings]
