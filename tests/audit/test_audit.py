"""visgen audit on real DSOs built here with g++ and clang++, checked against the loader.

Every scenario builds extension-like DSOs from ``data/`` that share the header-only
identities of ``data/ident.h`` (a template static data member, an inline variable, a
static local of an inline function, typeinfo and a vtable). ``_probe.py`` loads them
``RTLD_LOCAL`` with ctypes into a fresh Python process, in each order of at most two
roots, and prints the address every DSO uses for every identity. The audit's verdict for
each identity must match what the processes did: "not unified" exactly when some order
gave two addresses, and the order the finding names must be one that does.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from visgen.audit import Audit, LoadGraph, _wheel_target, analyze, audit_paths, is_identity
from visgen.cli import main
from visgen.manifest import load_manifest
from visgen.resources import package_dir

HERE = Path(__file__).parent
DATA = HERE / "data"
PROBE = HERE / "_probe.py"
ELF_FIXTURES = HERE.parent / "elf" / "fixtures"

SYMBOLS = {
    "template_id": "_ZN5ident6TypeIDINS_6WidgetEE2idE",
    "inline_var": "_ZN5ident7counterE",
    "static_local": "_ZZN5ident15static_local_idEvE4slot",
    "typeinfo": "_ZTIN5ident6WidgetE",
    "vtable": "_ZTVN5ident6WidgetE",
}
"""What ``_probe.py`` asks each DSO -> the symbol that carries that identity."""

pytestmark = pytest.mark.toolchain


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not found (apt-get install {'clang' if 'clang' in name else 'g++'})")
    return found


@dataclass
class Dso:
    """How to build one DSO of a scenario."""

    name: str
    cxx: str = "g++"
    source: str = "plugin.cpp"
    flags: tuple[str, ...] = ()
    core: str | None = None  # link against this DSO of the scenario (RUNPATH $ORIGIN)
    link: tuple[str, ...] = ()


@dataclass
class Scenario:
    dsos: list[Dso]
    dir: Path = field(default_factory=Path)


def _compile(out: Path, d: Dso) -> None:
    stem = d.name.removesuffix(".so").removeprefix("lib").replace("-", "_")
    cmd = [
        _tool(d.cxx),
        "-std=c++17",
        "-O1",
        "-g0",
        "-fPIC",
        "-shared",
        f"-DIDENT_NAME={stem}",
        f"-I{DATA}",
        *d.flags,
        str(DATA / d.source),
        "-o",
        str(out / d.name),
        f"-Wl,-soname,{d.name}",
    ]
    if d.core is not None:
        cmd += [str(out / d.core), "-Wl,-rpath,$ORIGIN", *d.link]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed:\n{proc.stderr}")


def _build(out: Path, dsos: list[Dso]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    libs = [d for d in dsos if any(o.core == d.name for o in dsos)]
    rest = [d for d in dsos if d not in libs]
    with ThreadPoolExecutor() as pool:
        for batch in (libs, rest):
            list(pool.map(lambda d: _compile(out, d), batch))
    return out


UNIQUE_OFF = ("-fno-gnu-unique",)
HIDDEN = ("-fvisibility=hidden", "-fvisibility-inlines-hidden")
ANCHORED = ("-DIDENT_ANCHORED", "-DIDENT_NEEDS_CORE")

SCENARIOS: dict[str, list[Dso]] = {
    # clang never emits STB_GNU_UNIQUE: every copy is weak and stays apart.
    "clang": [Dso("plugin_a.so", "clang++"), Dso("plugin_b.so", "clang++")],
    # g++: the identity objects are STB_GNU_UNIQUE (glibc unifies them); typeinfo and
    # vtables are weak and stay apart.
    "gcc": [Dso("plugin_a.so"), Dso("plugin_b.so")],
    "gcc-no-unique": [Dso("plugin_a.so", flags=UNIQUE_OFF), Dso("plugin_b.so", flags=UNIQUE_OFF)],
    # Hidden visibility: local copies, never unified.
    "hidden": [Dso("plugin_a.so", flags=HIDDEN), Dso("plugin_b.so", flags=HIDDEN)],
    # One module from g++ (unique), one from clang (weak): glibc unifies only unique ones.
    "mixed": [Dso("plugin_a.so"), Dso("plugin_b.so", "clang++")],
    # The fix: one strong exported definition in libcore, extern everywhere else.
    "anchored": [
        Dso("libcore.so", source="core.cpp", flags=("-DIDENT_ANCHORED",)),
        Dso("plugin_a.so", flags=ANCHORED, core="libcore.so"),
        Dso("plugin_b.so", flags=ANCHORED, core="libcore.so"),
    ],
    "anchored-clang": [
        Dso("libcore.so", "clang++", source="core.cpp", flags=("-DIDENT_ANCHORED",)),
        Dso("plugin_a.so", "clang++", flags=ANCHORED, core="libcore.so"),
        Dso("plugin_b.so", "clang++", flags=ANCHORED, core="libcore.so"),
    ],
    # The load-order case: plugin_2 and libcore both carry copies. plugin_2 alone: libcore
    # is relocated in plugin_2's scope and uses plugin_2's copy. plugin_1 (no copy, but it
    # needs libcore) first: libcore keeps its own, and plugin_2 later uses its own.
    "load-order": [
        Dso("libcore.so", "clang++", source="core.cpp"),
        Dso(
            "plugin_1.so",
            "clang++",
            flags=("-DIDENT_NO_USE", "-DIDENT_NEEDS_CORE"),
            core="libcore.so",
        ),
        Dso("plugin_2.so", "clang++", flags=("-DIDENT_NEEDS_CORE",), core="libcore.so"),
    ],
    "load-order-gcc": [
        Dso("libcore.so", source="core.cpp"),
        Dso("plugin_1.so", flags=("-DIDENT_NO_USE", "-DIDENT_NEEDS_CORE"), core="libcore.so"),
        Dso("plugin_2.so", flags=("-DIDENT_NEEDS_CORE",), core="libcore.so"),
    ],
    # DT_RPATH instead of DT_RUNPATH: the same load graph.
    "load-order-rpath": [
        Dso("libcore.so", "clang++", source="core.cpp"),
        Dso(
            "plugin_1.so",
            "clang++",
            flags=("-DIDENT_NO_USE", "-DIDENT_NEEDS_CORE"),
            core="libcore.so",
            link=("-Wl,--disable-new-dtags",),
        ),
        Dso(
            "plugin_2.so",
            "clang++",
            flags=("-DIDENT_NEEDS_CORE",),
            core="libcore.so",
            link=("-Wl,--disable-new-dtags",),
        ),
    ],
    # A C++ API crossing (flagged) beside a C API crossing (fine).
    "cxx-api": [
        Dso("libcxxapi.so", source="cxxapi.cpp"),
        Dso("user.so", source="user.cpp", core="libcxxapi.so"),
    ],
}


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every scenario built once, each in its own folder."""
    root = tmp_path_factory.mktemp("audit")
    with ThreadPoolExecutor() as pool:
        futures = {name: pool.submit(_build, root / name, dsos) for name, dsos in SCENARIOS.items()}
        return {name: f.result() for name, f in futures.items()}


def _probe(paths: list[Path]) -> dict[str, dict[str, int]]:
    """Load ``paths`` in order RTLD_LOCAL into a fresh process; each DSO's addresses."""
    proc = subprocess.run(
        [sys.executable, "-I", "-S", str(PROBE), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, dict[str, int]] = json.loads(proc.stdout)
    return result


def _observe(folder: Path, report: Audit) -> dict[tuple[str, ...], dict[str, dict[str, int]]]:
    """What every load order of at most two roots does (the roots the audit derived)."""
    (graph,) = report.graphs
    roots = [graph.dsos[r] for r in graph.roots]
    orders = [(r,) for r in roots] + list(itertools.permutations(roots, 2))
    out = {}
    for order in orders:
        names = tuple(Path(d.name).name for d in order)
        out[names] = _probe([folder / n for n in names])
    return out


def _split(seen: dict[str, dict[str, int]], what: str) -> set[int]:
    return {addrs[what] for addrs in seen.values() if what in addrs}


def _verify(folder: Path) -> Audit:
    """The audit's verdict on every identity matches every load order's outcome."""
    report = analyze([folder])
    (graph,) = report.graphs
    runs = _observe(folder, report)
    dups = {d.name: d for d in report.duplicates}
    for what, symbol in SYMBOLS.items():
        split_in = [order for order, seen in runs.items() if len(_split(seen, what)) > 1]
        dup = dups.get(symbol)
        predicted_split = dup is not None and not dup.verdict.unified
        assert predicted_split == bool(split_in), (what, split_in, dup, runs)
        if dup is not None and not dup.verdict.unified:
            assert dup.verdict.split is not None
            order = tuple(graph.short[r] for r in dup.verdict.order)
            (o1, _c1, _k1), (o2, _c2, _k2) = dup.verdict.split
            seen = runs[order]
            a, b = seen[graph.short[o1]][what], seen[graph.short[o2]][what]
            assert a != b, (what, order, seen)
            for r in dup.verdict.unified_alone:
                alone = runs[(graph.short[r],)]
                assert alone[graph.short[o1]][what] == alone[graph.short[o2]][what]
    return report


def _by_symbol(report: Audit) -> dict[str, tuple[str, str]]:
    """symbol -> (rule, severity) for the duplicate-definition findings."""
    return {
        f.symbol: (f.rule, f.severity)
        for f in report.findings
        if f.rule == "duplicate-definition" and f.symbol
    }


def _what(report: Audit, severity: str) -> set[str]:
    names = {v: k for k, v in SYMBOLS.items()}
    return {
        names[s] for s, (_rule, sev) in _by_symbol(report).items() if sev == severity and s in names
    }


# -- the reproductions ---------------------------------------------------------------------


def test_clang_two_modules_keep_two_copies(built: dict[str, Path]) -> None:
    folder = built["clang"]
    seen = _probe([folder / "plugin_a.so", folder / "plugin_b.so"])
    for what in SYMBOLS:
        assert seen["plugin_a.so"][what] != seen["plugin_b.so"][what], what
    report = _verify(folder)
    assert _what(report, "error") == set(SYMBOLS)
    assert _what(report, "warning") == set()
    assert not [f for f in report.findings if f.rule == "cxx-cross-dso"]


def test_gcc_unique_hides_the_identity_but_not_typeinfo(built: dict[str, Path]) -> None:
    folder = built["gcc"]
    seen = _probe([folder / "plugin_a.so", folder / "plugin_b.so"])
    for what in ("template_id", "inline_var", "static_local"):
        assert seen["plugin_a.so"][what] == seen["plugin_b.so"][what], what
    for what in ("typeinfo", "vtable"):
        assert seen["plugin_a.so"][what] != seen["plugin_b.so"][what], what
    report = _verify(folder)
    assert _what(report, "error") == {"typeinfo", "vtable"}
    assert _what(report, "warning") == {"template_id", "inline_var", "static_local"}
    unique = next(f for f in report.findings if f.symbol == SYMBOLS["template_id"])
    assert "STB_GNU_UNIQUE" in unique.message
    assert "unified at run time" in unique.message


def test_gcc_without_gnu_unique(built: dict[str, Path]) -> None:
    report = _verify(built["gcc-no-unique"])
    assert _what(report, "error") == set(SYMBOLS)


def test_hidden_copies_are_never_unified(built: dict[str, Path]) -> None:
    folder = built["hidden"]
    seen = _probe([folder / "plugin_a.so", folder / "plugin_b.so"])
    for what in SYMBOLS:
        assert seen["plugin_a.so"][what] != seen["plugin_b.so"][what], what
    report = _verify(folder)
    # all copies hidden: a warning (visgen cannot see whether the identity crosses)
    assert _what(report, "warning") == set(SYMBOLS)
    f = next(f for f in report.findings if f.symbol == SYMBOLS["typeinfo"])
    assert "(hidden)" in f.message
    assert "hidden copies are never unified" in f.message


def test_unique_beside_weak_is_not_unified(built: dict[str, Path]) -> None:
    report = _verify(built["mixed"])
    assert _what(report, "error") == set(SYMBOLS)
    f = next(f for f in report.findings if f.symbol == SYMBOLS["template_id"])
    assert "glibc unifies only STB_GNU_UNIQUE definitions" in f.message
    assert "plugin_b.so is STB_WEAK" in f.message


@pytest.mark.parametrize("scenario", ["anchored", "anchored-clang"])
def test_anchored_fix_gives_one_address_and_a_clean_audit(
    built: dict[str, Path], scenario: str
) -> None:
    folder = built[scenario]
    seen = _probe([folder / "plugin_a.so", folder / "plugin_b.so"])
    assert set(seen) == {"plugin_a.so", "plugin_b.so", "libcore.so"}
    for what in ("template_id", "inline_var", "static_local", "typeinfo"):
        assert len({addrs[what] for addrs in seen.values()}) == 1, (what, seen)
    report = _verify(folder)
    assert report.findings == []
    assert report.duplicates == []


@pytest.mark.parametrize("scenario", ["load-order", "load-order-rpath"])
def test_load_order(built: dict[str, Path], scenario: str) -> None:
    folder = built[scenario]
    alone = _probe([folder / "plugin_2.so"])
    first = _probe([folder / "plugin_1.so", folder / "plugin_2.so"])
    for what in SYMBOLS:
        if what == "vtable":
            continue  # libcore has no vtable probe
        assert alone["plugin_2.so"][what] == alone["libcore.so"][what], what
        assert first["plugin_2.so"][what] != first["libcore.so"][what], what
    report = _verify(folder)
    (graph,) = report.graphs
    assert sorted(graph.short[r] for r in graph.roots) == ["plugin_1.so", "plugin_2.so"]
    kind = "rpath" if scenario.endswith("rpath") else "runpath"
    assert {(graph.short[e.source], graph.short[e.target], e.kind) for e in graph.edges} == {
        ("plugin_1.so", "libcore.so", kind),
        ("plugin_2.so", "libcore.so", kind),
    }
    assert _what(report, "error") == {"template_id", "inline_var", "static_local", "typeinfo"}
    f = next(f for f in report.findings if f.symbol == SYMBOLS["template_id"])
    assert "loading plugin_1.so, then plugin_2.so (RTLD_LOCAL)" in f.message
    assert "libcore.so and plugin_2.so each use their own copy" in f.message
    assert "plugin_2.so loaded alone gives one copy" in f.message
    assert "anchor it in libcore.so" in (f.hint or "")


def test_load_order_with_gcc(built: dict[str, Path]) -> None:
    report = _verify(built["load-order-gcc"])
    assert _what(report, "error") == {"typeinfo"}
    assert _what(report, "warning") == {"template_id", "inline_var", "static_local"}


def test_only_the_second_module_and_its_library(built: dict[str, Path], tmp_path: Path) -> None:
    """Without plugin_1 in the set, libcore is only a dependency of plugin_2: unified."""
    for name in ("libcore.so", "plugin_2.so"):
        shutil.copy(built["load-order"] / name, tmp_path / name)
    report = _verify(tmp_path)
    assert _what(report, "error") == set()
    assert _what(report, "warning") == {"template_id", "inline_var", "static_local", "typeinfo"}
    f = next(f for f in report.findings if f.symbol == SYMBOLS["typeinfo"])
    assert "unified in every load order of the set" in f.message


# -- C++ crossing DSO boundaries ----------------------------------------------------------


def test_cxx_cross_dso(built: dict[str, Path]) -> None:
    findings = audit_paths([built["cxx-api"]])
    cross = [f for f in findings if f.rule == "cxx-cross-dso"]
    assert [(f.binary, f.symbol, f.severity) for f in cross] == [
        (str(built["cxx-api"] / "user.so"), "_ZN5ident6helperEv", "error")
    ]
    assert "user.so imports the C++ function ident::helper() (_ZN5ident6helperEv) from " in (
        cross[0].message
    )
    assert "libcxxapi.so" in (cross[0].hint or "")
    # the C API (cxxapi_answer) and the anchored identities cross without a finding
    assert not [f for f in audit_paths([built["load-order"]]) if f.rule == "cxx-cross-dso"]


def test_cxx_declared_export_is_a_warning(built: dict[str, Path], tmp_path: Path) -> None:
    manifest = tmp_path / "visgen.toml"
    manifest.write_text(
        'schema = 1\n[library.cxxapi]\n[[library.cxxapi.exports]]\ncxx = ["ident::helper()"]\n'
        'symbols = ["cxxapi_answer"]\n'
    )
    findings = audit_paths([built["cxx-api"]], manifest=load_manifest(manifest))
    assert [(f.rule, f.severity) for f in findings] == [("cxx-cross-dso", "warning")]
    assert "declared export" in findings[0].message


# -- a manifest: each export in exactly one DSO -------------------------------------------


def test_manifest_exports_defined_once(built: dict[str, Path], tmp_path: Path) -> None:
    for name in ("libcore.so", "plugin_a.so", "plugin_b.so"):
        shutil.copy(built["anchored"] / name, tmp_path / name)
    shutil.copy(built["anchored"] / "libcore.so", tmp_path / "libcore_copy.so")
    manifest = tmp_path / "visgen.toml"
    manifest.write_text(
        "schema = 1\n"
        "[library.core]\n"
        "[[library.core.exports]]\n"
        'symbols = ["ident_static_local_id", "core_gone"]\n'
        'data = ["_ZN5ident7counterE"]\n'
        'optional = ["core_maybe"]\n'
        "[library.other]\n"
        "[[library.other.exports]]\n"
        'symbols = ["other_fn"]\n'
    )
    report = analyze([tmp_path], manifest=load_manifest(manifest))
    rules = {(f.rule, f.symbol) for f in report.findings}
    assert ("duplicate-definition", "ident_static_local_id") in rules
    assert ("duplicate-definition", "_ZN5ident7counterE") in rules
    assert ("missing-export", "core_gone") in rules
    assert ("missing-export", "other_fn") not in rules  # a library absent from the set
    assert not any(s == "core_maybe" for _r, s in rules)
    dup = next(f for f in report.findings if f.symbol == "ident_static_local_id")
    assert dup.location is not None
    assert dup.location.line == 4
    assert "libcore.so and libcore_copy.so" in dup.message
    assert "an export of library 'core'" in dup.message
    # the anchored identity is now defined twice: the copies are reported, too
    assert ("duplicate-definition", "_ZTIN5ident6WidgetE") in rules
    # --library names a library explicitly: its missing exports are reported
    status, out, _err = _cli(
        ["audit", str(tmp_path), "--manifest", str(manifest), "--library", "other"]
    )
    assert status == 1
    assert "other_fn, an export of library 'other', is defined in no DSO of the set" in out
    assert "ident_static_local_id, an export" not in out


# -- wheels and folders --------------------------------------------------------------------


def _wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_wheel_read_in_place(built: dict[str, Path], tmp_path: Path) -> None:
    """An auditwheel-style layout: libcore in pkg.libs, found through $ORIGIN/../pkg.libs."""
    out = tmp_path / "build"
    out.mkdir()
    core = "libcore-1a2b3c4d.so"
    _compile(out, Dso(core, "clang++", source="core.cpp"))
    for n in ("_a", "_b"):
        _compile(
            out,
            Dso(
                f"{n}.so",
                "clang++",
                flags=("-DIDENT_NEEDS_CORE",),
                core=core,
                link=("-Wl,-rpath,$ORIGIN/../pkg.libs",),
            ),
        )
    whl = _wheel(
        tmp_path / "pkg-1.0-cp311-cp311-linux_x86_64.whl",
        {
            "pkg/__init__.py": b"",
            "pkg/_a.cpython-311-x86_64-linux-gnu.so": (out / "_a.so").read_bytes(),
            "pkg/sub/README.so": b"not an ELF file, skipped\n",
            f"pkg.libs/{core}": (out / core).read_bytes(),
            "pkg-1.0.data/platlib/pkg/_b.cpython-311-x86_64-linux-gnu.so": (
                out / "_b.so"
            ).read_bytes(),
            "pkg-1.0.dist-info/METADATA": b"Name: pkg\n",
        },
    )
    report = analyze([whl])
    names = sorted(d.name for d in report.dsos)
    assert names == [
        f"{whl}!pkg-1.0.data/platlib/pkg/_b.cpython-311-x86_64-linux-gnu.so",
        f"{whl}!pkg.libs/{core}",
        f"{whl}!pkg/_a.cpython-311-x86_64-linux-gnu.so",
    ]
    (graph,) = report.graphs
    assert {(graph.short[e.source], graph.short[e.target]) for e in graph.edges} == {
        ("_a.cpython-311-x86_64-linux-gnu.so", core),
        ("_b.cpython-311-x86_64-linux-gnu.so", core),
    }
    errors = {f.symbol for f in report.findings if f.severity == "error"}
    assert errors == set(SYMBOLS.values())
    f = next(f for f in report.findings if f.symbol == SYMBOLS["typeinfo"])
    assert f"anchor it in {core}" in (f.hint or "")
    assert f.binary is not None
    assert f.binary.startswith(f"{whl}!")


def test_wheel_target_layout() -> None:
    assert str(_wheel_target("p-1.data/platlib/p/_x.so")) == "p/_x.so"
    assert str(_wheel_target("p-1.data/purelib/p/_x.so")) == "p/_x.so"
    assert str(_wheel_target("p-1.data/scripts/tool")) == "p-1.data/scripts/tool"
    assert str(_wheel_target("p/_x.so")) == "p/_x.so"


def test_folder_skips_what_is_not_a_dso(built: dict[str, Path], tmp_path: Path) -> None:
    shutil.copy(built["clang"] / "plugin_a.so", tmp_path / "plugin_a.so")
    (tmp_path / "sub").mkdir()
    shutil.copy(built["clang"] / "plugin_b.so", tmp_path / "sub" / "plugin_b.so")
    (tmp_path / "sub" / "libplugin_b.so").symlink_to("plugin_b.so")  # the same file once
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "fake.so").write_text("not ELF\n")
    subprocess.run(
        [_tool("g++"), "-c", "-fPIC", "-o", str(tmp_path / "obj.o"), str(DATA / "cxxapi.cpp")],
        check=True,
    )
    report = analyze([tmp_path])
    assert sorted(Path(d.name).name for d in report.dsos) == ["plugin_a.so", "plugin_b.so"]
    assert len(_what(report, "error")) == len(SYMBOLS)


# -- the command line ----------------------------------------------------------------------


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def test_cli_formats(built: dict[str, Path]) -> None:
    import jsonschema

    folder = str(built["gcc"])
    status, out, _ = _cli(["audit", folder])
    assert status == 1
    assert "visgen audit: 2 error(s), 3 warning(s)" in out
    assert "tip: anchor it in one shared library that the others link" in out
    status, out, _ = _cli(["audit", folder, "--output-format", "json"])
    doc = json.loads(out)
    schema = json.loads((package_dir() / "schemas" / "report.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["command"] == "audit"
    assert doc["summary"] == {"errors": 2, "warnings": 3}
    status, out, _ = _cli(["audit", folder, "--output-format", "sarif"])
    sarif = json.loads(out)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"duplicate-definition"}
    status, out, _ = _cli(["audit", folder, "--output-format", "github", "--exit-zero"])
    assert status == 0
    assert out.startswith("::")
    assert "title=visgen duplicate-definition" in out
    status, out, _ = _cli(["audit", str(built["anchored"])])
    assert (status, out) == (0, "visgen audit: no findings\n")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "no such file or folder"),
        (lambda p: _text(p / "notes.txt"), "not an ELF file or a wheel"),
        (lambda p: _text(p / "broken.whl"), "not a valid wheel"),
        (lambda _p: ELF_FIXTURES / "corrupt-truncated.so", "corrupt-truncated.so"),
        (lambda p: _folder_with(p, ELF_FIXTURES / "corrupt-class.so"), "bad ELF class"),
        (
            lambda p: _wheel(
                p / "t.whl", {"t/_x.so": (ELF_FIXTURES / "corrupt-truncated.so").read_bytes()}
            ),
            "t.whl!t/_x.so",
        ),
        (lambda p: _wheel(p / "e.whl", {"../evil.so": b"\x7fELF" + b"\0" * 60}), "outside"),
    ],
    ids=[
        "missing",
        "text",
        "bad-zip",
        "truncated",
        "corrupt-in-folder",
        "corrupt-in-wheel",
        "zip-slip",
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    status, out, err = _cli(["audit", str(path)])
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("visgen: error: ")
    assert message in err
    assert "Traceback" not in err


def _text(path: Path) -> Path:
    path.write_text("just text\n")
    return path


def _folder_with(tmp_path: Path, file: Path) -> Path:
    folder = tmp_path / "set"
    folder.mkdir()
    shutil.copy(file, folder / file.name)
    return folder


def test_explicit_object_file_is_refused(tmp_path: Path) -> None:
    obj = tmp_path / "x.o"
    subprocess.run(
        [_tool("g++"), "-c", "-fPIC", "-o", str(obj), str(DATA / "cxxapi.cpp")], check=True
    )
    status, _out, err = _cli(["audit", str(obj)])
    assert status == 2
    assert "not a shared object" in err


def test_is_identity() -> None:
    assert is_identity("_ZTIN5ident6WidgetE", "STT_OBJECT")
    assert is_identity("_ZTVN5ident6WidgetE", "STT_OBJECT")
    assert is_identity("_ZN5ident7counterE", "STT_OBJECT")
    assert not is_identity("_ZTSN5ident6WidgetE", "STT_OBJECT")  # the name string
    assert not is_identity("_ZGVZN5ident15static_local_idEvE4slot", "STT_OBJECT")  # guard
    assert not is_identity("_ZN5ident6helperEv", "STT_FUNC")
    assert not is_identity("counter", "STT_OBJECT")


def test_load_graph_soname_fallback(built: dict[str, Path], tmp_path: Path) -> None:
    """A DT_NEEDED name no RUNPATH reaches still reaches a DSO of the set with that soname
    (glibc reuses an object already loaded under that name)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(built["load-order"] / "plugin_2.so", tmp_path / "a" / "plugin_2.so")
    shutil.copy(built["load-order"] / "libcore.so", tmp_path / "b" / "libcore.so")
    report = analyze([tmp_path])
    (graph,) = report.graphs
    assert isinstance(graph, LoadGraph)
    assert [(graph.short[e.source], graph.short[e.target], e.kind) for e in graph.edges] == [
        ("plugin_2.so", "libcore.so", "name")
    ]


@pytest.mark.parametrize(
    ("dtags", "leaf_kind"), [("--disable-new-dtags", "rpath"), ("--enable-new-dtags", "name")]
)
def test_load_graph_inherits_dt_rpath(tmp_path: Path, dtags: str, leaf_kind: str) -> None:
    """DT_RPATH of a loader serves its dependencies' DT_NEEDED; DT_RUNPATH does not (the
    name still reaches the DSO of the set, as glibc would reuse it once loaded)."""
    gcc = _tool("gcc")
    lib = tmp_path / "lib"
    lib.mkdir()
    (tmp_path / "leaf.c").write_text("int leaf(void) { return 1; }\n")
    (tmp_path / "mid.c").write_text("int leaf(void);\nint mid(void) { return leaf(); }\n")
    (tmp_path / "top.c").write_text("int mid(void);\nint top(void) { return mid(); }\n")

    def cc(src: str, out: Path, *extra: str) -> None:
        subprocess.run(
            [gcc, "-shared", "-fPIC", "-o", str(out), str(tmp_path / src), *extra], check=True
        )

    cc("leaf.c", lib / "libleaf.so", "-Wl,-soname,libleaf.so")
    cc("mid.c", lib / "libmid.so", "-Wl,-soname,libmid.so", str(lib / "libleaf.so"))
    cc("top.c", tmp_path / "top.so", str(lib / "libmid.so"), f"-Wl,{dtags},-rpath,$ORIGIN/lib")
    (graph,) = analyze([tmp_path]).graphs
    assert [graph.short[r] for r in graph.roots] == ["top.so"]
    kind = "rpath" if "disable" in dtags else "runpath"
    assert {(graph.short[e.source], graph.short[e.target], e.kind) for e in graph.edges} == {
        ("top.so", "libmid.so", kind),
        ("libmid.so", "libleaf.so", leaf_kind),
    }
