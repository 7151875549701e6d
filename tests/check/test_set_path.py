"""The set path of ``visgen check`` against the row path it stands in for.

``check_binary`` first tries ``_check_shared_as_set`` (the exported names as a set,
:meth:`PatternIndex.claims`, one string comparison for an exact-only manifest) and falls
back to ``_check_shared`` (row by row) where the set cannot decide. Each case here runs
``check_binary`` twice, once as shipped and once with the set path switched off, and
requires the same findings in the same order; it also records which path decided, so
that the cases meant for the set path really exercise it, and it pins the findings
themselves, so that both paths being wrong the same way fails too.

The binaries are real: committed fixtures, and small libraries compiled here with gcc and
g++ and a GNU ld version script (one node, no node, stripped, C++ with weak and unique
vague-linkage symbols, a non-ASCII name).

:meth:`PatternIndex.claims` (what the set path matches with) is compared with
:meth:`PatternIndex.match_list` (what the row path matches with) on random sorted names
and random entries, and both with the match module's precedence taken one entry at a
time with :func:`fnmatch.fnmatchcase`.
"""

from __future__ import annotations

import fnmatch
import json
import random
import shutil
import struct
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from visgen import check as check_module
from visgen.check import check_binary
from visgen.demangle import demangle_many
from visgen.extract import extract_manifest
from visgen.manifest import load_manifest, read_manifest
from visgen.match import PatternIndex, is_glob
from visgen.model import EntryKind, ExportEntry, Location

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from visgen.findings import Finding
    from visgen.model import Library, Variant

FIXTURES = Path(__file__).parent.parent / "elf" / "fixtures"

ONE_C = """\
#define API __attribute__((visibility("default")))
API int one_alpha(void) { return 1; }
API int one_beta(void) { return 2; }
API int one_gamma(void) { return 3; }
API int foo_bar_1(void) { return 4; }
API int foo_bar_2(void) { return 5; }
API int foo_baz(void) { return 6; }
API int foo_x(void) { return 7; }
API int abc(void) { return 8; }
API int axc(void) { return 9; }
API int abd(void) { return 10; }
API int tail_x(void) { return 11; }
API int head_x(void) { return 12; }
API int one_data = 13;
API __attribute__((weak)) int one_weak(void) { return 14; }
API int __one_init(void) { return 15; }
API int __one_destroy(void) { return 16; }
API int PyInit_one(void) { return 17; }
int one_hidden(void) { return 18; }     /* -fvisibility=hidden and no API: not exported */
API int one_local(void) { return 19; }  /* made local by the version script */
"""
ONE_FUNCS = [
    "PyInit_one",
    "__one_destroy",
    "__one_init",
    "abc",
    "abd",
    "axc",
    "foo_bar_1",
    "foo_bar_2",
    "foo_baz",
    "foo_x",
    "head_x",
    "one_alpha",
    "one_beta",
    "one_gamma",
    "one_weak",
    "tail_x",
]
ONE_DATA = ["one_data"]

CX_CPP = """\
#define HIDDEN __attribute__((visibility("hidden")))
namespace cx {
struct Engine { virtual ~Engine(); virtual int run() const; int stop(); };
Engine::~Engine() = default;
int Engine::run() const { return 1; }
int Engine::stop() { return 2; }
template <class T> struct Pool { static int count; };
template <class T> int Pool<T>::count = 0;
inline int inline_total = 0;
int touch() { return ++Pool<int>::count + ++inline_total + ++Pool<long>::count; }
int helper(int a) { return a; }
namespace util { int helper(int a, int b) { return a + b; } }
HIDDEN int hidden_cxx(int a) { return a * 2; }
int use_hidden(int a) { return hidden_cxx(a); }
}
extern "C" int cx_c_api(void) { return cx::helper(1); }
"""
CX_VAGUE = [  # weak typeinfo and vtable, unique template statics and inline variable
    "_ZN2cx12inline_totalE",
    "_ZN2cx4PoolIiE5countE",
    "_ZN2cx4PoolIlE5countE",
    "_ZTIN2cx6EngineE",
    "_ZTSN2cx6EngineE",
    "_ZTVN2cx6EngineE",
]

CXXDEMO_VAGUE = [
    "_ZN7cxxdemo14inline_counterE",
    "_ZN7cxxdemo8RegistryIiE5countE",
    "_ZTIN7cxxdemo5ShapeE",
    "_ZTSN7cxxdemo5ShapeE",
    "_ZTVN7cxxdemo5ShapeE",
]

NONASCII_C = """\
int plain_name(void) { return 1; }
int gr\u00fc\u00dfe(void) { return 2; }
"""


def _compile(tmp: Path, name: str, source: str, script: str | None, *flags: str) -> Path:
    cpp = "namespace" in source
    compiler = "g++" if cpp else "gcc"
    if shutil.which(compiler) is None or shutil.which("ld.bfd") is None:
        pytest.skip(f"{compiler} and GNU ld (ld.bfd) not installed")
    src = tmp / f"{name}.{'cpp' if cpp else 'c'}"
    src.write_text(source, encoding="utf-8")
    out = tmp / f"lib{name}.so"
    cmd = [compiler, "-shared", "-fPIC", "-O1", "-g0", "-fuse-ld=bfd", *flags]
    if cpp:
        cmd.append("-std=c++17")
    if script is not None:
        (tmp / f"{name}.map").write_text(script)
        cmd.append(f"-Wl,--version-script={tmp / f'{name}.map'}")
    subprocess.run([*cmd, "-o", str(out), str(src)], check=True, capture_output=True)
    return out


Section = tuple[int, int, int]  # offset, size, entsize


def _patched(src: Path, out: Path, edit: Callable[[bytearray, Section, Section], None]) -> Path:
    """A copy of ``src`` with ``edit(data, dynsym, dynstr)`` applied (pyelftools finds
    the sections: ``(offset, size, entsize)`` each)."""
    from elftools.elf.elffile import ELFFile

    with src.open("rb") as fh:
        elf = ELFFile(fh)
        secs = {
            s.name: (s["sh_offset"], s["sh_size"], s["sh_entsize"]) for s in elf.iter_sections()
        }
    data = bytearray(src.read_bytes())
    edit(data, secs[".dynsym"], secs[".dynstr"])
    out.write_bytes(bytes(data))
    return out


def _symbol_row(data: bytearray, dynsym: Section, dynstr: Section, name: str) -> int:
    """The offset of the ``.dynsym`` row named ``name`` (a 64-bit little-endian file)."""
    off, size, ent = dynsym
    for at in range(off + ent, off + size, ent):
        (st_name,) = struct.unpack_from("<I", data, at)
        start = dynstr[0] + st_name
        if bytes(data[start : data.index(b"\0", start)]) == name.encode():
            return at
    raise AssertionError(name)


def _duplicate_name(data: bytearray, dynsym: Section, dynstr: Section) -> None:
    """``libone.so`` (the base version definition's name, 9 bytes) overwritten with
    ``foo_bar_1``, and the row of ``foo_bar_2`` pointed at that copy: two rows, two
    string offsets, one name."""
    text = bytes(data[dynstr[0] : dynstr[0] + dynstr[1]])
    at = text.index(b"\0libone.so\0") + 1
    data[dynstr[0] + at : dynstr[0] + at + 9] = b"foo_bar_1"
    struct.pack_into("<I", data, _symbol_row(data, dynsym, dynstr, "foo_bar_2"), at)


def _name_at_table_end(data: bytearray, dynsym: Section, dynstr: Section) -> None:
    """The row of ``one_gamma`` given ``st_name`` = the size of ``.dynstr`` (one past its
    last byte)."""
    struct.pack_into("<I", data, _symbol_row(data, dynsym, dynstr, "one_gamma"), dynstr[1])


@pytest.fixture(scope="module")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("set-path")
    one_map = "ONE_1.0 {\n  global: *;\n  local: one_local;\n};\n"
    plain_map = "{\n  global: *;\n  local: one_local;\n};\n"
    hidden = "-fvisibility=hidden"
    out = {
        "demo": FIXTURES / "libdemo.so",
        "cxxdemo": FIXTURES / "libcxxdemo.so",
        "one": _compile(tmp, "one", ONE_C, one_map, hidden),
        "one-plain": _compile(tmp, "one-plain", ONE_C, plain_map, hidden),
        "one-stripped": _compile(tmp, "one-stripped", ONE_C, one_map, hidden, "-s"),
        "cx": _compile(tmp, "cx", CX_CPP, "CX_1.0 {\n  global: *;\n};\n"),
        "nonascii": _compile(tmp, "nonascii", NONASCII_C, None),
        "fewer": _compile(
            tmp, "fewer", ONE_C.replace("API int one_gamma", "int one_gamma"), one_map, hidden
        ),
    }
    out["one-dup"] = _patched(out["one"], tmp / "libone-dup.so", _duplicate_name)
    out["one-end"] = _patched(out["one"], tmp / "libone-end.so", _name_at_table_end)
    return out


def _toml(
    groups: Sequence[dict[str, Any]],
    check: dict[str, Any] | None = None,
    registration: dict[str, str] | None = None,
) -> str:
    lines = ["schema = 1", "[library.one]"]
    if registration:
        lines.append('variants = ["shared", "shared-registered"]')
        lines.append("[library.one.registration]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in registration.items()]
    for group in groups:
        lines.append("[[library.one.exports]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in group.items()]
    if check:
        lines.append("[library.one.check]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in check.items()]
    return "\n".join(lines) + "\n"


def _library(tmp_path: Path, text: str, *, lint: bool = True) -> Library:
    """The manifest's library; ``lint=False`` keeps a model that lint rejects (the check
    API takes any model, and the two paths must agree on it as well)."""
    path = tmp_path / "visgen.toml"
    path.write_text(text)
    if lint:
        return load_manifest(path).libraries[0]
    manifest, findings = read_manifest(path)
    assert any(f.rule == "shadowed-pattern" for f in findings)
    return manifest.libraries[0]


def _never(*_args: object) -> bool:
    return False


def _both_paths(
    monkeypatch: pytest.MonkeyPatch, binary: Path, library: Library, variant: Variant | None
) -> tuple[list[Finding], list[Finding], list[bool]]:
    """(findings as shipped, findings with the set path off, what the set path returned)."""
    real = check_module._check_shared_as_set
    ran: list[bool] = []

    def recording(*args: Any) -> bool:
        result = real(*args)
        ran.append(result)
        return result

    monkeypatch.setattr(check_module, "_check_shared_as_set", recording)
    fast = check_binary(binary, library, variant=variant)
    monkeypatch.setattr(check_module, "_check_shared_as_set", _never)
    slow = check_binary(binary, library, variant=variant)
    monkeypatch.setattr(check_module, "_check_shared_as_set", real)
    return fast, slow, ran


def _summary(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.rule, f.symbol or "", f.severity) for f in findings]


_BLOCKS = {"unexpected-export": 0, "vague-export": 1, "wrong-version": 2}


def _assert_report_order(findings: list[Finding]) -> None:
    """unexpected-export (by name, each once), vague-export (by name, each once),
    wrong-version, then the entries that claimed nothing."""
    blocks = [_BLOCKS.get(f.rule, 3) for f in findings]
    assert blocks == sorted(blocks)
    for rule in ("unexpected-export", "vague-export"):
        names = [f.symbol or "" for f in findings if f.rule == rule]
        assert names == sorted(set(names))


def _except(names: list[str], *drop: str) -> list[str]:
    return [n for n in names if n not in drop]


def _matching(prefix: str) -> list[str]:
    return [n for n in ONE_FUNCS if n.startswith(prefix)]


NODE = "ONE_1.0"
ALL_ONE = {"node": NODE, "symbols": ONE_FUNCS, "data": ONE_DATA}
NON_FOO = _except(ONE_FUNCS, *_matching("foo"))
NO_ALLOWED = _except(ONE_FUNCS, "foo_bar_1", "foo_bar_2", "abc", "PyInit_one")
GLOBBED = _except(NON_FOO, "tail_x", "head_x", "abc", "axc", "abd")
REG = {"init": "__one_init", "destroy": "__one_destroy"}
UNREG = _except(ONE_FUNCS, "__one_init", "__one_destroy")


class Case(NamedTuple):
    id: str
    binary: str
    groups: list[dict[str, Any]]
    expected: list[tuple[str, str, str]] | None
    set_path: bool
    check: dict[str, Any] | None = None
    registration: dict[str, str] | None = None
    variant: Variant | None = None
    lint: bool = True


def _e(rule: str, symbol: str = "", severity: str = "error") -> tuple[str, str, str]:
    return (rule, symbol, severity)


CASES = [
    # exact names only: one comparison of two sorted strings decides a clean check
    Case("exact-clean", "one", [ALL_ONE], [], set_path=True),
    Case(
        "exact-extra-exports",
        "one",
        [{"node": NODE, "symbols": _except(ONE_FUNCS, "one_gamma", "abc"), "data": ONE_DATA}],
        [_e("unexpected-export", "abc"), _e("unexpected-export", "one_gamma")],
        set_path=True,
    ),
    Case(
        "exact-missing-and-hidden",
        "one",
        [{**ALL_ONE, "symbols": [*ONE_FUNCS, "one_gone", "one_hidden", "one_local"]}],
        [
            _e("missing-export", "one_gone"),
            _e("hidden-export", "one_hidden"),
            _e("hidden-export", "one_local"),
        ],
        set_path=True,
    ),
    Case(
        "exact-missing-stripped",
        "one-stripped",
        [{**ALL_ONE, "symbols": [*ONE_FUNCS, "one_gone", "one_hidden"]}],
        [_e("missing-export", "one_gone"), _e("missing-export", "one_hidden")],
        set_path=True,
    ),
    Case(
        "exact-extra-and-missing",
        "one",
        [{"node": NODE, "symbols": [*_except(ONE_FUNCS, "one_alpha"), "one_gone"]}],
        [
            _e("unexpected-export", "one_alpha"),
            _e("unexpected-export", "one_data"),
            _e("missing-export", "one_gone"),
        ],
        set_path=True,
    ),
    Case(
        "exact-data-declared-twice",
        "one",
        [{"node": NODE, "symbols": ONE_FUNCS}, {"node": NODE, "data": ONE_DATA}],
        [],
        set_path=True,
    ),
    Case(
        "allow-and-presets",
        "one",
        [{"node": NODE, "symbols": NO_ALLOWED, "data": ONE_DATA}],
        [],
        set_path=True,
        check={"allow": ["foo_bar*", "a?c"], "allow-presets": ["pybind11"]},
    ),
    Case(
        "allow-some",
        "one",
        [{"node": NODE, "symbols": NO_ALLOWED, "data": ONE_DATA}],
        [_e("unexpected-export", "PyInit_one"), _e("unexpected-export", "abc")],
        set_path=True,
        check={"allow": ["foo_bar_?"]},
    ),
    Case(
        "unmatched-globs-and-optional",
        "one",
        [
            {
                **ALL_ONE,
                "globs": ["nothing_*", "zz?z"],
                "optional": ["opt_*", "optional_exact", "one_x?"],
            }
        ],
        [_e("unmatched-entry"), _e("unmatched-entry")],
        set_path=True,
    ),
    Case(
        "nested-prefix-globs",
        "one",
        [{"node": NODE, "symbols": NON_FOO, "globs": ["foo_bar*", "foo*"], "data": ONE_DATA}],
        [],
        set_path=True,
    ),
    Case(
        "nested-prefix-globs-one-unmatched",
        "one",
        [
            {
                "node": NODE,
                "symbols": NON_FOO,
                "globs": ["foo_bar_9*", "foo_bar*", "foo_q*", "foo*"],
                "data": ONE_DATA,
            }
        ],
        [_e("unmatched-entry"), _e("unmatched-entry")],
        set_path=True,
    ),
    Case(
        "nested-prefix-globs-in-two-groups",
        "one",
        [
            {"node": NODE, "symbols": NON_FOO, "globs": ["foo_bar*"]},
            {"node": NODE, "globs": ["foo*", "one_d*"]},
        ],
        [],
        set_path=True,
    ),
    Case(
        # lint rejects this order (foo_bar* is shadowed); the check API still takes it
        "shadowed-prefix-glob",
        "one",
        [{"node": NODE, "symbols": NON_FOO, "globs": ["foo*", "foo_bar*"], "data": ONE_DATA}],
        [_e("unmatched-entry")],
        set_path=True,
        lint=False,
    ),
    Case(
        "prefix-globs-leave-names-unclaimed",
        "one",
        [{"node": NODE, "globs": ["foo_bar*", "one_*"]}],
        [
            _e("unexpected-export", n)
            for n in sorted(
                [
                    *_except(NON_FOO, "one_alpha", "one_beta", "one_gamma", "one_weak"),
                    "foo_baz",
                    "foo_x",
                ]
            )
        ],
        set_path=True,
    ),
    Case(
        "non-prefix-globs",
        "one",
        [{"node": NODE, "symbols": GLOBBED, "globs": ["*_x", "a?c", "[a]bd", "f*"]}],
        [_e("unexpected-export", "one_data")],
        set_path=True,
    ),
    Case(
        "non-prefix-glob-before-prefix-glob",
        "one",
        [
            {
                "node": NODE,
                "symbols": _except(GLOBBED, "one_alpha"),
                "globs": ["*_x", "a?c", "ab*", "one_[a]*", "foo*"],
                "data": ONE_DATA,
            }
        ],
        [],  # foo_x: *_x comes first and claims it, foo* claims the rest of foo
        set_path=True,
    ),
    Case(
        "registration",
        "one",
        [{"node": NODE, "symbols": UNREG, "data": ONE_DATA}],
        [],
        set_path=True,
        registration=REG,
        variant="shared-registered",
    ),
    Case(
        "registration-missing-destroy",
        "one",
        [{"node": NODE, "symbols": UNREG, "data": ONE_DATA}],
        [_e("unexpected-export", "__one_destroy"), _e("missing-export", "__one_gone")],
        set_path=True,
        registration={"init": "__one_init", "destroy": "__one_gone"},
        variant="shared-registered",
    ),
    Case(
        "registration-with-globs",
        "one",
        [{"node": NODE, "symbols": _except(UNREG, *_matching("foo")), "globs": ["foo*"]}],
        [_e("unexpected-export", "one_data")],
        set_path=True,
        registration=REG,
        variant="shared-registered",
    ),
    Case(
        "manifest-unversioned-binary-versioned",
        "one",
        [{"symbols": ONE_FUNCS, "data": ONE_DATA}],
        [],
        set_path=True,
    ),
    Case(
        "both-unversioned",
        "one-plain",
        [{"symbols": _except(ONE_FUNCS, "abd", "abc", "axc"), "globs": ["a?c"]}],
        [_e("unexpected-export", "abd"), _e("unexpected-export", "one_data")],
        set_path=True,
    ),
    Case(
        "stripped-unmatched-pattern",
        "one-stripped",
        [{**ALL_ONE, "globs": ["one_hid*"]}],
        [_e("unmatched-entry")],
        set_path=True,
    ),
    Case(
        "pattern-hidden",
        "one",
        [{**ALL_ONE, "globs": ["one_hid*"]}],
        [_e("hidden-export", "one_hidden")],
        set_path=True,
    ),
    # the row path decides: every declared name has another version, or several nodes
    Case(
        "binary-under-another-node",
        "one",
        [{"node": "ONE_2.0", "symbols": ["one_alpha", "one_gone"], "globs": ["foo*"]}],
        [
            *[
                _e("unexpected-export", n)
                for n in sorted([*ONE_DATA, *_except(NON_FOO, "one_alpha")])
            ],
            *[_e("wrong-version", n) for n in ["one_alpha", *_matching("foo")]],
            _e("missing-export", "one_gone"),
        ],
        set_path=False,
    ),
    Case(
        "binary-unversioned-manifest-versioned",
        "one-plain",
        [{**ALL_ONE, "symbols": _except(ONE_FUNCS, "abc")}],
        [_e("unexpected-export", "abc")]
        + [_e("wrong-version", n) for n in _except(ONE_FUNCS, "abc") + ONE_DATA],
        set_path=False,
    ),
    Case(
        "two-nodes",
        "one",
        [
            {"node": NODE, "symbols": _except(ONE_FUNCS, "one_beta")},
            {"node": "ONE_1.1", "inherits": NODE, "symbols": ["one_beta"], "data": ONE_DATA},
        ],
        [_e("wrong-version", "one_beta"), _e("wrong-version", "one_data")],
        set_path=False,
    ),
    Case(
        "demo-two-nodes",
        "demo",
        [
            {"node": "DEMO_1.0", "symbols": ["demo_create", "demo_destroy", "demo_gone"]},
            {"node": "DEMO_1.1", "inherits": "DEMO_1.0", "symbols": ["demo_cancel"]},
        ],
        [
            _e("unexpected-export", "demo_extra"),
            _e("unexpected-export", "demo_version"),
            _e("missing-export", "demo_gone"),
        ],
        set_path=False,
    ),
    Case(
        "demo-one-node",  # the binary's symbols are under two versions
        "demo",
        [{"node": "DEMO_1.1", "symbols": ["demo_cancel", "demo_create"], "globs": ["demo_[dev]*"]}],
        [
            _e("wrong-version", n)
            for n in ["demo_create", "demo_destroy", "demo_extra", "demo_version"]
        ],
        set_path=False,
    ),
    Case(
        "non-ascii-name",  # read_export_set does not take a non-ASCII .dynstr
        "nonascii",
        [{"symbols": ["plain_name"]}],
        [_e("unexpected-export", "gr\u00fc\u00dfe")],
        set_path=False,
    ),
    # C++: patterns over demangled names, exact demangled names, weak and unique symbols
    *[
        Case(
            f"cxx-vague-{mode}",
            "cx",
            [
                {
                    "node": "CX_1.0",
                    "symbols": ["cx_c_api"],
                    "cxx": [
                        "cx::Engine::*",
                        "cx::helper(int)",
                        "cx::util::*",
                        "cx::touch()",
                        "cx::use_hidden(int)",
                        "cx::hidden_cxx(int)",
                        "cx::nothing::*",
                    ],
                }
            ],
            [
                *(
                    _e("vague-export", n, "warning" if mode == "warn" else "error")
                    for n in (CX_VAGUE if mode != "off" else [])
                ),
                *(_e("unexpected-export", n) for n in (CX_VAGUE if mode == "off" else [])),
                _e("hidden-export", "_ZN2cx10hidden_cxxEi"),
                _e("unmatched-entry"),
            ],
            set_path=True,
            check={"vague": mode},
        )
        for mode in ("error", "warn", "off")
    ],
    Case(
        "cxx-vague-allowed",
        "cx",
        [{"node": "CX_1.0", "symbols": ["cx_c_api"], "cxx": ["cx::*"]}],
        # allow tolerates undeclared names only: cx::* declares the template statics and
        # the inline variable, so they stay vague on both paths
        [_e("vague-export", n) for n in [*CX_VAGUE[:3], "_ZTVN2cx6EngineE"]],
        set_path=True,
        check={"vague": "error", "allow": ["_ZTI*", "_ZTS*", "_ZN2cx*"]},
    ),
    Case(
        "cxx-vague-claimed",  # a declared vague symbol is still reported as vague
        "cx",
        [{"node": "CX_1.0", "symbols": ["cx_c_api"], "cxx": ["cx::*", "typeinfo*", "vtable*"]}],
        [_e("vague-export", n) for n in CX_VAGUE],
        set_path=True,
        check={"vague": "error"},
    ),
    Case(
        "cxx-exact-and-mangled",
        "cx",
        [
            {
                "node": "CX_1.0",
                "symbols": ["_ZN2cx5touchEv", "cx_c_api"],
                "cxx": ["cx::touch()", "cx::helper(int)", "cx::Engine::run() const"],
                "globs": ["_ZN2cx6Engine*"],
            }
        ],
        [
            *(
                _e("unexpected-export", n)
                for n in ["_ZN2cx10use_hiddenEi", "_ZN2cx4util6helperEii"]
            ),
            _e("unmatched-entry"),
        ],
        set_path=True,
        # _ZN2cx5touchEv is also cx::touch(): the exact name wins on both paths
        check={"vague": "off", "allow": ["_ZT*", "_ZN2cx12inline*", "_ZN2cx4Pool*"]},
    ),
    *[
        Case(
            f"cxxdemo-unversioned-vague-{mode}",
            "cxxdemo",
            [{"symbols": ["cxxdemo_c_api"], "cxx": ["cxxdemo::*"]}],
            [
                _e("vague-export", n, "warning" if mode == "warn" else "error")
                for n in CXXDEMO_VAGUE
                if mode != "off"
            ]
            # typeinfo and vtable are not cxxdemo::*; the template static and the
            # inline variable are
            + [_e("unexpected-export", n) for n in CXXDEMO_VAGUE[2:] if mode == "off"],
            set_path=True,
            check={"vague": mode},
        )
        for mode in ("error", "warn", "off")
    ],
    Case(
        "cxxdemo-node-declared",  # the binary is unversioned: every name has "no version"
        "cxxdemo",
        [{"node": "CXX_1", "symbols": ["cxxdemo_c_api"], "cxx": ["cxxdemo::add(int, int)"]}],
        None,  # many findings: test_cxxdemo_declared_under_a_node_reports_wrong_versions
        set_path=False,
        check={"vague": "error"},
    ),
    # hand-patched copies of libone.so
    Case(
        "string-table-holds-a-name-twice",
        "one-dup",
        [{"node": NODE, "symbols": _except(ONE_FUNCS, "foo_bar_2"), "data": ONE_DATA}],
        [],
        set_path=True,
    ),
]


@pytest.mark.toolchain
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_set_path_agrees_with_row_path(
    case: Case,
    binaries: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    library = _library(tmp_path, _toml(case.groups, case.check, case.registration), lint=case.lint)
    fast, slow, ran = _both_paths(monkeypatch, binaries[case.binary], library, case.variant)
    assert ran == [case.set_path]
    assert fast == slow
    _assert_report_order(fast)
    if case.expected is not None:
        assert sorted(_summary(fast)) == sorted(case.expected)
    else:
        assert fast


def test_cxxdemo_declared_under_a_node_reports_wrong_versions(
    binaries: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = next(c for c in CASES if c.id == "cxxdemo-node-declared")
    library = _library(tmp_path, _toml(case.groups, case.check))
    fast, _, _ = _both_paths(monkeypatch, binaries["cxxdemo"], library, None)
    wrong = [f for f in fast if f.rule == "wrong-version"]
    assert sorted(f.symbol or "" for f in wrong) == ["_ZN7cxxdemo3addEii", "cxxdemo_c_api"]
    assert all("no version" in f.message for f in wrong)


class _CountedIndex(PatternIndex):
    built = 0

    def __init__(self, entries: Iterable[ExportEntry]) -> None:
        type(self).built += 1
        super().__init__(entries)


@pytest.mark.toolchain
def test_an_equal_exact_manifest_is_one_comparison(
    binaries: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clean: the sorted names joined by NUL equal the manifest's, and no index of its
    entries is built; one name more or less, and the entries are indexed."""
    monkeypatch.setattr(check_module, "PatternIndex", _CountedIndex)
    monkeypatch.setattr(_CountedIndex, "built", 0)
    library = _library(tmp_path, _toml([ALL_ONE]))
    assert check_binary(binaries["one"], library) == []
    assert _CountedIndex.built == 0
    assert [f.symbol for f in check_binary(binaries["fewer"], library)] == ["one_gamma"]
    assert _CountedIndex.built == 1


@pytest.mark.toolchain
@pytest.mark.parametrize("binary", ["one", "one-plain", "one-stripped", "cx", "cxxdemo"])
@pytest.mark.parametrize("edit", ["none", "drop-first", "drop-last", "add", "swap"])
def test_extracted_manifests(
    binary: str,
    edit: str,
    binaries: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``visgen extract``'s manifest (exact names only), as is and edited: the one-string
    comparison when it is equal, the claims path when it is not."""
    text = extract_manifest(binaries[binary], "one").replace('vague = "off"', 'vague = "warn"')
    # the function names (``symbols``, before ``data``): none of them is vague
    functions = text.split("symbols = [", 1)[1].split("]", 1)[0]
    names = [line.split('"')[1] for line in functions.splitlines() if line.startswith('  "')]
    if edit == "drop-first":
        text = text.replace(f'  "{names[0]}",', "", 1)
    elif edit == "drop-last":
        text = text.replace(f'  "{names[-1]}",', "", 1)
    elif edit == "add":
        text = text.replace(f'  "{names[0]}",', f'  "{names[0]}",\n  "zz_not_there",', 1)
    elif edit == "swap":
        text = text.replace(f'  "{names[1]}",', '  "a_not_there",', 1)
    library = _library(tmp_path, text)
    fast, slow, ran = _both_paths(monkeypatch, binaries[binary], library, None)
    assert ran == [True]
    assert fast == slow
    rules = [f.rule for f in fast if f.rule != "vague-export"]
    expected = {
        "none": [],
        "drop-first": ["unexpected-export"],
        "drop-last": ["unexpected-export"],
        "add": ["missing-export"],
        "swap": ["unexpected-export", "missing-export"],
    }[edit]
    assert rules == expected


@pytest.mark.toolchain
def test_library_without_export_groups(
    binaries: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = _library(tmp_path, _toml([]))
    fast, slow, ran = _both_paths(monkeypatch, binaries["one-plain"], library, None)
    assert ran == [True]
    assert fast == slow
    assert {f.symbol for f in fast} == {*ONE_FUNCS, *ONE_DATA}


@pytest.mark.toolchain
def test_name_at_the_end_of_the_string_table(
    binaries: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = _library(tmp_path, _toml([ALL_ONE]))
    fast, slow, ran = _both_paths(monkeypatch, binaries["one-end"], library, None)
    assert ran == [True]
    assert fast == slow


# -- PatternIndex.claims against match_list ------------------------------------------------

_PLAIN_PARTS = ("a", "ab", "b", "foo", "foo_", "bar", "_x", "x", "z", "Z", "_", "1")
_CXX_NAMES = (
    "_ZN2cx5touchEv",  # cx::touch()
    "_ZN2cx6helperEi",  # cx::helper(int)
    "_ZN2cx4util6helperEii",  # cx::util::helper(int, int)
    "_ZNK2cx6Engine3runEv",  # cx::Engine::run() const
    "_ZN2cx6Engine4stopEv",  # cx::Engine::stop()
    "_ZN2cx4PoolIiE5countE",  # cx::Pool<int>::count
    "_ZTIN2cx6EngineE",  # typeinfo for cx::Engine
    "_ZN2ab2cx1fEv",  # ab::cx::f()
    "_ZN3foo3barEv",  # foo::bar()
    "_Z3fooi",  # foo(int)
    "_Zbogus",  # not a valid mangled name: its own demangled name
    "_ZN2cx",
)
_CXX_PATTERNS = (
    "cx::*",
    "cx::Engine::*",
    "cx::util::*",
    "cx::helper(int)",
    "cx::touch()",
    "*::f()",
    "foo*",
    "typeinfo for cx::*",
    "ab::cx::f()",
    "cx::Pool<int>::count",
    "*",
    "foo(int)",
    "_Zbogus",
    "bar",
)


def _random_name(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return rng.choice(_CXX_NAMES)
    return "".join(rng.choice(_PLAIN_PARTS) for _ in range(rng.randint(1, 4)))


def _random_glob(rng: random.Random, names: list[str]) -> str:
    base = rng.choice(names)
    shape = rng.randrange(6)
    if shape == 0:  # a prefix glob, often nested in another
        return base[: rng.randint(0, len(base))] + "*"
    if shape == 1:
        return "*" + base[rng.randint(0, len(base)) :]
    if shape == 2:
        k = rng.randrange(len(base))
        return base[:k] + "?" + base[k + 1 :]
    if shape == 3:
        k = rng.randrange(len(base))
        return base[:k] + "[" + base[k] + "xZ]" + base[k + 1 :]
    if shape == 4:
        k = rng.randrange(len(base))
        return base[:k] + "*" + base[k + 1 :] + "*"
    return base[: rng.randint(1, len(base))] + "**"


def _random_entries(rng: random.Random, pool: list[str]) -> list[ExportEntry]:
    kinds: list[tuple[EntryKind, str]] = []
    for _ in range(rng.randint(0, 14)):
        roll = rng.random()
        if roll < 0.3:
            kinds.append((rng.choice(["symbol", "data"]), rng.choice(pool)))
        elif roll < 0.65:
            kinds.append(("glob", _random_glob(rng, pool)))
        elif roll < 0.85:
            kinds.append(("cxx", rng.choice(_CXX_PATTERNS)))
        else:
            text = rng.choice(pool) if rng.random() < 0.5 else _random_glob(rng, pool)
            kinds.append(("optional", text))
    where = Location("m.toml", 1, "library.x.exports")
    return [ExportEntry(text, kind, where) for kind, text in kinds]


def _claims_by_match_list(
    entries: list[ExportEntry], names: list[str]
) -> tuple[set[ExportEntry], list[str]]:
    found = PatternIndex(entries).match_list(names)
    return (
        {e for e in found if e is not None},
        [n for n, e in zip(names, found, strict=True) if e is None],
    )


def _claims_by_fnmatch(
    entries: list[ExportEntry], names: list[str]
) -> tuple[set[ExportEntry], list[str]]:
    """The precedence of the match module's docstring, one name and one entry at a time
    with :func:`fnmatch.fnmatchcase`: an exact linkage name first, then the first other
    entry in manifest order (a C++ pattern over the demangled name, a plain name being
    its own). Exact C++ names are left to test_exact_cxx_names_in_bulk."""
    assert not any(e.kind == "cxx" and not is_glob(e.text) for e in entries)
    demangled = demangle_many(n for n in names if n.startswith("_Z"))
    claimed: set[ExportEntry] = set()
    unclaimed: list[str] = []
    for name in names:
        entry = next(
            (e for e in entries if e.kind != "cxx" and not is_glob(e.text) and e.text == name),
            None,
        )
        if entry is None:
            text = demangled.get(name, name)
            entry = next(
                (
                    e
                    for e in entries
                    if (e.kind == "cxx" and fnmatch.fnmatchcase(text, e.text))
                    or (e.kind != "cxx" and is_glob(e.text) and fnmatch.fnmatchcase(name, e.text))
                ),
                None,
            )
        if entry is None:
            unclaimed.append(name)
        else:
            claimed.add(entry)
    return claimed, unclaimed


@pytest.mark.parametrize("seed", range(12))
def test_claims_equals_match_list(seed: int) -> None:
    rng = random.Random(seed)
    by_fnmatch = 0
    for _ in range(150):
        pool = sorted({_random_name(rng) for _ in range(rng.randint(1, 40))})
        names = sorted(set(rng.sample(pool, rng.randint(0, len(pool)))))
        entries = _random_entries(rng, pool + [_random_name(rng) for _ in range(3)])
        claimed, unclaimed = PatternIndex(entries).claims(names)
        context = f"entries={[(e.text, e.kind) for e in entries]!r} names={names!r}"
        want_claimed, want_unclaimed = _claims_by_match_list(entries, names)
        assert unclaimed == want_unclaimed, context
        assert claimed == want_claimed, context
        if not any(e.kind == "cxx" and not is_glob(e.text) for e in entries):
            # and as the docstring's precedence says, entry by entry
            assert (claimed, unclaimed) == _claims_by_fnmatch(entries, names), context
            by_fnmatch += 1
    assert by_fnmatch > 30


def _index(*specs: tuple[str, EntryKind]) -> tuple[PatternIndex, list[ExportEntry]]:
    where = Location("m.toml", 1, "library.x.exports")
    entries = [ExportEntry(text, kind, where) for text, kind in specs]
    return PatternIndex(entries), entries


@pytest.mark.parametrize(
    ("specs", "name"),
    [
        ([("_ZN2cx*", "glob"), ("cx::touch()", "cxx")], "_ZN2cx5touchEv"),
        (
            [("*", "cxx"), ("_ZN2cx6helperE[ixZ]", "optional"), ("cx::helper(int)", "cxx")],
            "_ZN2cx6helperEi",
        ),
    ],
)
def test_exact_cxx_names_in_bulk(specs: list[tuple[str, EntryKind]], name: str) -> None:
    index, _ = _index(*specs)
    assert index.match_list([name]) == [index.match(name)]


def test_cxx_entry_for_an_unmangleable_name() -> None:
    index, entries = _index(("_Zbogus", "cxx"))
    assert index.match("_Zbogus") is entries[0]
    assert index.match_list(["_Zbogus"]) == [entries[0]]


@pytest.mark.parametrize(
    ("specs", "names"),
    [
        ([("foo_bar*", "glob"), ("foo*", "glob")], ["foo", "foo_bar", "foo_bar_1", "foo_c", "fop"]),
        ([("foo*", "glob"), ("foo_bar*", "glob")], ["foo_bar", "foo_bar_1"]),
        ([("a*", "glob"), ("b*", "glob"), ("*", "glob")], ["a", "b", "c", "ba"]),
        ([("ab*", "glob"), ("a?c", "glob")], ["abc", "axc", "abd"]),
        ([("*_x", "glob"), ("foo*", "glob")], ["foo_x", "foo_y", "tail_x"]),
        ([("cx::*", "cxx"), ("_ZN2cx*", "glob")], ["_ZN2cx5touchEv", "_ZN2cx", "cx"]),
        ([("_ZN2cx*", "glob"), ("cx::touch()", "cxx")], ["_ZN2cx5touchEv", "_ZN2cx6helperEi"]),
        ([("a", "symbol"), ("a*", "glob")], ["a", "aa"]),
        ([("az*", "glob"), ("a*", "glob"), ("b", "symbol")], ["a{", "az", "az{", "b", "b{"]),
        ([], ["a", "b"]),
        ([("x*", "glob")], []),
    ],
)
def test_claims_examples(specs: list[tuple[str, EntryKind]], names: list[str]) -> None:
    where = Location("m.toml", 1, "library.x.exports")
    entries = [ExportEntry(text, kind, where) for text, kind in specs]
    names = sorted(names)
    assert PatternIndex(entries).claims(names) == _claims_by_match_list(entries, names)
