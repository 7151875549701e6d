"""read_export_set (the set form check's fast path reads) against read_exports, nm and
broken input.

``read_exports`` (row by row, markers included) is the reference: the set's names, the
``(version, hidden)`` pairs and the weak/unique rows must be what its rows say once the
version-node markers are left out. ``nm -D --defined-only`` is the independent oracle.
Broken copies of the fixtures must fail exactly when ``read_exports`` fails, with the
same message.
"""

from __future__ import annotations

import functools
import re
import shutil
import struct
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest

from visgen.elf import SHN_ABS, ExportSet, read_export_set, read_exports
from visgen.errors import BinaryError

if TYPE_CHECKING:
    from collections.abc import Callable

FIXTURES = Path(__file__).parent / "fixtures"
DEMO = FIXTURES / "libdemo.so"
CXXDEMO = FIXTURES / "libcxxdemo.so"
STRIPPED = FIXTURES / "libdemo-stripped.so"
CROSS = sorted(FIXTURES.glob("libdemo-*-linux-gnu.so"))
SYSTEM_DIRS = (Path("/usr/lib/x86_64-linux-gnu"), Path("/lib/x86_64-linux-gnu"), Path("/usr/lib64"))


def _system_lib(name: str) -> Path | None:
    return next((d / name for d in SYSTEM_DIRS if (d / name).exists()), None)


SYSTEM = [
    p
    for p in map(_system_lib, ("libz.so.1", "libstdc++.so.6", "libc.so.6", "libm.so.6"))
    if p is not None
]
COMMITTED = [DEMO, CXXDEMO, STRIPPED, *CROSS]
BUILT = ["tail-merged", "two-versions", "markers-only"]
WEAK_BINDINGS = ("STB_WEAK", "STB_GNU_UNIQUE")

TAIL_C = """\
int foo_bar(void) { return 1; }
int bar(void) { return 2; }
int ar_data = 3;
"""
TWO_VERSIONS_C = """\
__attribute__((symver("foo@V1"))) int foo_v1(void) { return 1; }
__attribute__((symver("foo@@V2"))) int foo_v2(void) { return 2; }
__attribute__((weak)) int only_v2(void) { return 3; }
"""
TWO_VERSIONS_MAP = "V1 {\n  global: foo;\n  local: *;\n};\nV2 {\n  global: foo; only_v2;\n} V1;\n"
MARKERS_ONLY_C = """\
static int s(void) { return 1; }
__attribute__((visibility("hidden"))) int h(void) { return s(); }
"""


def _compile(tmp: Path, name: str, source: str, script: str | None = None) -> Path:
    if shutil.which("gcc") is None or shutil.which("ld.bfd") is None:
        pytest.skip("gcc and GNU ld (ld.bfd) not installed")
    (tmp / f"{name}.c").write_text(source, encoding="utf-8")
    out = tmp / f"lib{name}.so"
    # GNU ld (bfd) on purpose: it merges string tails in .dynstr (gold does not)
    cmd = ["gcc", "-shared", "-fPIC", "-O1", "-g0", "-fuse-ld=bfd", "-o", str(out)]
    if script is not None:
        (tmp / f"{name}.map").write_text(script)
        cmd.append(f"-Wl,--version-script={tmp / f'{name}.map'}")
    subprocess.run([*cmd, str(tmp / f"{name}.c")], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("export-set")
    return {
        "tail-merged": _compile(tmp, "tail-merged", TAIL_C, "TAIL_1 {\n  global: *;\n};\n"),
        "two-versions": _compile(tmp, "two-versions", TWO_VERSIONS_C, TWO_VERSIONS_MAP),
        "markers-only": _compile(tmp, "markers-only", MARKERS_ONLY_C, "M_1 {\n  local: *;\n};\n"),
        "non-ascii": _compile(
            tmp,
            "non-ascii",
            "int plain(void) { return 1; }\nint gr\u00fc\u00dfe(void) { return 2; }\n",
        ),
    }


@pytest.fixture(params=[*COMMITTED, *SYSTEM, *BUILT], ids=lambda p: getattr(p, "name", p))
def binary(request: pytest.FixtureRequest) -> Path:
    param = request.param
    if isinstance(param, Path):
        return param
    built_libs: dict[str, Path] = request.getfixturevalue("built")
    return built_libs[param]


class Reference(NamedTuple):
    """What read_exports' rows say, version-node markers left out."""

    names: set[str]
    versions: frozenset[tuple[str | None, bool]]
    weak: list[tuple[str, str, str]]


def _reference(path: Path) -> Reference:
    table = read_exports(path)
    rows = [
        k
        for k in range(len(table.names))
        if not (table.shndx[k] == SHN_ABS and table.versions[k] == table.names[k])
    ]
    return Reference(
        {table.names[k] for k in rows},
        frozenset((table.versions[k], table.version_hidden[k]) for k in rows),
        sorted(
            (table.names[k], table.bindings[k], table.types[k])
            for k in rows
            if table.bindings[k] in WEAK_BINDINGS
        ),
    )


def _read(path: Path, *, weak: bool) -> ExportSet:
    got = read_export_set(path, weak=weak)
    assert got is not None
    return got


def test_set_equals_rows(binary: Path) -> None:
    ref = _reference(binary)
    got = _read(binary, weak=False)
    assert sorted(got.names) == sorted(ref.names)  # each name once
    assert got.versions == ref.versions
    assert got.weak is None
    with_weak = _read(binary, weak=True)
    assert sorted(with_weak.names) == sorted(ref.names)
    assert with_weak.versions == ref.versions
    assert with_weak.weak is not None
    assert sorted(with_weak.weak) == ref.weak
    assert got.machine == with_weak.machine == read_exports(binary).machine


class NmView(NamedTuple):
    names: set[str]
    versions: set[tuple[str | None, bool]]
    weak: set[str]  # W, V (weak) and u (unique) rows
    ifunc: set[str]  # i rows: nm prints an ifunc as i whatever its binding


def _nm(path: Path) -> NmView:
    if shutil.which("nm") is None or shutil.which("readelf") is None:
        pytest.skip("nm and readelf (binutils) not installed")
    out = subprocess.run(
        ["nm", "-D", "--defined-only", str(path)], capture_output=True, text=True, check=True
    ).stdout
    defs = subprocess.run(
        ["readelf", "-V", "-W", str(path)], capture_output=True, text=True, check=True
    ).stdout
    nodes = set(re.findall(r"Flags: \S+.*?Name: (\S+)", defs))
    view = NmView(set(), set(), set(), set())
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        kind, full = parts[1], parts[2]
        if kind == "A" and full in nodes:
            continue  # a version node's own SHN_ABS marker
        name, _, version = full.partition("@")
        view.names.add(name)
        if version.startswith("@"):
            view.versions.add((version[1:], False))
        else:
            view.versions.add((version or None, bool(version)))
        if kind in "WVu":
            view.weak.add(name)
        elif kind == "i":
            view.ifunc.add(name)
    return view


@pytest.mark.toolchain
def test_set_equals_nm(binary: Path) -> None:
    nm = _nm(binary)
    got = _read(binary, weak=True)
    assert set(got.names) == nm.names
    assert got.versions == nm.versions
    assert got.weak is not None
    weak_ifuncs = {n for n, _, t in got.weak if t == "STT_GNU_IFUNC"}
    assert {n for n, _, _ in got.weak} - weak_ifuncs == nm.weak - weak_ifuncs
    assert weak_ifuncs <= nm.ifunc


@pytest.mark.toolchain
def test_the_sample_is_varied(built: dict[str, Path]) -> None:
    """The cases above cover what they should: both byte orders and classes, unique and
    weak symbols, unversioned and hidden versions, names under two versions."""
    sets = {
        p.name: _read(p, weak=True)
        for p in [*COMMITTED, *built.values()]
        if p.name != "libnon-ascii.so"
    }
    assert {read_exports(p).machine for p in CROSS} == {3, 20, 21}  # i386, ppc, ppc64
    assert "STB_GNU_UNIQUE" in {b for _, b, _ in sets["libcxxdemo.so"].weak or []}
    assert sets["libcxxdemo.so"].versions == {(None, False)}
    assert sets["libtwo-versions.so"].versions == {("V1", True), ("V2", False)}
    assert sorted(sets["libtwo-versions.so"].names) == ["foo", "only_v2"]
    assert sets["libtwo-versions.so"].weak == [("only_v2", "STB_WEAK", "STT_FUNC")]
    assert len(read_exports(built["two-versions"]).names) == 5  # foo twice, two markers


@pytest.mark.toolchain
def test_tail_merged_strings(built: dict[str, Path]) -> None:
    """GNU ld merges string tails in .dynstr: ``bar`` is the tail of ``foo_bar`` (and
    ``ar_data`` stands alone). The set reader takes whole strings from one split of the
    table and must look up a name that starts inside another on its own."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    path = built["tail-merged"]
    with path.open("rb") as fh:
        dynsym = ELFFile(fh).get_section_by_name(".dynsym")
        assert isinstance(dynsym, SymbolTableSection)
        st_name = {s.name: s["st_name"] for s in dynsym.iter_symbols()}
    # binutils 2.40 merges; a linker that does not would make this a plain library
    assert st_name["bar"] == st_name["foo_bar"] + len("foo_")
    got = _read(path, weak=True)
    assert sorted(got.names) == ["ar_data", "bar", "foo_bar"]
    assert got.versions == {("TAIL_1", False)}
    assert set(got.names) == _nm(path).names


@pytest.mark.toolchain
def test_only_markers_exported(built: dict[str, Path]) -> None:
    got = _read(built["markers-only"], weak=True)
    assert got == ExportSet(got.machine, [], frozenset(), [])
    assert read_exports(built["markers-only"]).names == ["M_1"]


@pytest.mark.toolchain
def test_a_non_ascii_string_table_is_left_to_the_rows(built: dict[str, Path]) -> None:
    """None: the set form does not apply (check then reads the rows)."""
    assert read_export_set(built["non-ascii"]) is None
    assert read_export_set(built["non-ascii"], weak=True) is None
    assert "gr\u00fc\u00dfe" in read_exports(built["non-ascii"]).names


def test_a_file_without_section_headers_is_left_to_the_rows(tmp_path: Path) -> None:
    """None: read_exports finds .dynsym through PT_DYNAMIC (pyelftools) instead."""
    data = bytearray(DEMO.read_bytes())
    struct.pack_into("<Q", data, 0x28, 0)  # e_shoff
    struct.pack_into("<HH", data, 0x3C, 0, 0)  # e_shnum, e_shstrndx
    headless = tmp_path / "headless.so"
    headless.write_bytes(bytes(data))
    assert read_export_set(headless) is None
    assert read_export_set(headless, weak=True) is None
    assert "demo_create" in read_exports(headless).names


# -- broken input ------------------------------------------------------------------------


def _outcome(read: Callable[[Path], object], path: Path) -> tuple[object, str | None]:
    try:
        return read(path), None
    except BinaryError as exc:
        return None, str(exc)


class Sections(NamedTuple):
    bits: int
    end: str  # struct byte order
    shoff: int
    shentsize: int
    numbers: dict[str, int]  # name -> section number
    where: dict[str, tuple[int, int, int]]  # name -> (offset, size, entsize)


def _sections(path: Path) -> Sections:
    from elftools.elf.elffile import ELFFile

    with path.open("rb") as fh:
        elf = ELFFile(fh)
        secs = list(elf.iter_sections())
        return Sections(
            elf.elfclass,
            "<" if elf.little_endian else ">",
            elf["e_shoff"],
            elf["e_shentsize"],
            {s.name: i for i, s in enumerate(secs)},
            {s.name: (s["sh_offset"], s["sh_size"], s["sh_entsize"]) for s in secs},
        )


READ_SECTIONS = (".dynsym", ".dynstr", ".gnu.version", ".gnu.version_d", ".gnu.version_r")


def _corrupt_copies(src: Path, tmp: Path) -> list[Path]:
    """Truncated at many offsets, ELF header bytes flipped, every word of the section
    headers the readers use scrambled, every ``.dynsym`` row's name, binding, visibility
    and section index changed, ``.gnu.version`` entries and every word of the version
    sections broken. Both classes and byte orders (the sections found by pyelftools)."""
    data = src.read_bytes()
    info = _sections(src)
    e = info.end
    out: list[Path] = []

    def add(tag: str, blob: bytes | bytearray) -> None:
        p = tmp / f"{src.name}.{tag}"
        p.write_bytes(bytes(blob))
        out.append(p)

    def put(tag: str, at: int, fmt: str, value: int) -> None:
        b = bytearray(data)
        struct.pack_into(e + fmt, b, at, value)
        add(tag, b)

    step = max(1, len(data) // 61)
    for cut in range(0, len(data), step):
        add(f"cut{cut}", data[:cut])
    for i in range(64 if info.bits == 64 else 52):
        for val in (0x00, 0xFF):
            put(f"hdr{i}-{val}", i, "B", val)
    for name in READ_SECTIONS:
        if name not in info.numbers:
            continue
        first = info.shoff + info.numbers[name] * info.shentsize
        for at in range(first, first + info.shentsize, 4):
            for val in (0x7FFFFFFF, 0, 1):
                put(f"sh{at}-{val}", at, "I", val)
    sym_off, sym_size, ent = info.where[".dynsym"]
    strsize = info.where[".dynstr"][1]
    at_info = 4 if info.bits == 64 else 12
    at_shndx = 6 if info.bits == 64 else 14
    for row in range(1, sym_size // ent):
        base = sym_off + row * ent
        # st_name == strsize (one past the table) is left out: see
        # test_name_at_the_end_of_the_string_table
        for val in (strsize - 1, strsize + 1, 0x7FFFFFF0):
            put(f"name{row}-{val}", base, "I", val)
        for val in (0x00, 0x11, 0x21, 0xA1, 0x16, 0xF2):  # binding << 4 | type
            put(f"info{row}-{val}", base + at_info, "B", val)
        for val in (1, 2, 3):  # internal, hidden, protected
            put(f"other{row}-{val}", base + at_info + 1, "B", val)
        for val in (0, SHN_ABS, 0xFFFF):
            put(f"shndx{row}-{val}", base + at_shndx, "H", val)
    if ".gnu.version" in info.where:
        ver_off, ver_size, _ = info.where[".gnu.version"]
        for at in range(ver_off, ver_off + ver_size, 2):
            for val in (0x7FFF, 0x8002, 0):
                put(f"versym{at}-{val}", at, "H", val)
    for name in (".gnu.version_d", ".gnu.version_r"):
        if name in info.where:
            off, size, _ = info.where[name]
            for at in range(off, off + size - 3, 4):
                put(f"{name}{at}", at, "I", 0xFFFFFFFF)
    return out


@pytest.mark.parametrize("src", [*COMMITTED], ids=lambda p: p.name)
def test_corrupted_copies_fail_alike(src: Path, tmp_path: Path) -> None:
    seen = {"error": 0, "read": 0, "none": 0}
    for path in _corrupt_copies(src, tmp_path):
        rows, rows_error = _outcome(read_exports, path)
        for weak in (False, True):
            got, error = _outcome(functools.partial(read_export_set, weak=weak), path)
            if got is None and error is None:
                seen["none"] += 1  # the set form does not apply; check reads the rows
                continue
            assert (error is None) == (rows_error is None), (path.name, weak, rows_error, error)
            if error is not None:
                assert rows_error is not None
                seen["error"] += 1
                assert error.startswith(f"{path}: ")
                assert "\n" not in error
                assert error == rows_error, (
                    path.name,
                    rows_error,
                    error,
                )
                continue
            seen["read"] += 1
            assert rows is not None
            ref = _reference(path)
            assert isinstance(got, ExportSet)
            # as a set: a name written twice is test_a_name_written_twice_is_listed_once
            assert set(got.names) == ref.names, path.name
            assert got.versions == ref.versions, path.name
            assert (sorted(got.weak) if got.weak is not None else None) == (
                ref.weak if weak else None
            ), path.name
    assert seen["error"] > 0, seen
    assert seen["read"] > 0, seen


def _dynsym_row(path: Path, name: str) -> int:
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    with path.open("rb") as fh:
        dynsym = ELFFile(fh).get_section_by_name(".dynsym")
        assert isinstance(dynsym, SymbolTableSection)
        names = [s.name for s in dynsym.iter_symbols()]
        return int(dynsym["sh_offset"]) + names.index(name) * int(dynsym["sh_entsize"])


def _patch(tmp_path: Path, at: int, value: int, tag: str) -> Path:
    data = bytearray(DEMO.read_bytes())
    struct.pack_into("<I", data, at, value)
    out = tmp_path / f"{tag}.so"
    out.write_bytes(bytes(data))
    return out


def test_bad_string_index(tmp_path: Path) -> None:
    bad = _patch(tmp_path, _dynsym_row(DEMO, "demo_extra"), 0x7FFFFFF0, "badstr")
    for weak in (False, True):
        with pytest.raises(BinaryError, match="string index 2147483632") as info:
            read_export_set(bad, weak=weak)
        assert str(info.value).startswith(f"{bad}: ")
    with pytest.raises(BinaryError, match="string index 2147483632"):
        read_exports(bad)


def test_bad_string_index_message(tmp_path: Path) -> None:
    bad = _patch(tmp_path, _dynsym_row(DEMO, "demo_extra"), 0x7FFFFFF0, "badstr")
    assert _outcome(read_export_set, bad)[1] == _outcome(read_exports, bad)[1]


def test_shared_string_table_message(tmp_path: Path) -> None:
    info = _sections(DEMO)
    sh_offset = 0x18  # of a 64-bit section header
    at = info.shoff + info.numbers[".dynstr"] * info.shentsize + sh_offset
    bad = _patch(tmp_path, at, 0x7FFFFFFF, "far-dynstr")
    assert _outcome(read_export_set, bad)[1] == _outcome(read_exports, bad)[1]


def test_name_at_the_end_of_the_string_table(tmp_path: Path) -> None:
    size = _sections(DEMO).where[".dynstr"][1]
    bad = _patch(tmp_path, _dynsym_row(DEMO, "demo_extra"), size, "at-end")
    rows, rows_error = _outcome(_reference, bad)
    got, error = _outcome(read_export_set, bad)
    assert error == rows_error
    assert isinstance(rows, Reference)
    assert isinstance(got, ExportSet)
    assert sorted(got.names) == sorted(rows.names)


def test_a_name_written_twice_is_listed_twice(tmp_path: Path) -> None:
    """As documented: a string the table stores twice is listed twice (no linker writes
    one; sorting the names for a check removes the second)."""
    data = bytearray(DEMO.read_bytes())
    str_off, str_size, _ = _sections(DEMO).where[".dynstr"]
    table = bytes(data[str_off : str_off + str_size])
    soname = table.index(b"\0libdemo.so.1\0") + 1  # DT_SONAME, 12 bytes like demo_version
    data[str_off + soname : str_off + soname + 12] = b"demo_version"
    struct.pack_into("<I", data, _dynsym_row(DEMO, "demo_extra"), soname)
    twice = tmp_path / "twice.so"
    twice.write_bytes(bytes(data))
    assert read_exports(twice).names.count("demo_version") == 2
    got = _read(twice, weak=False)
    assert got.names.count("demo_version") == 2
    assert set(got.names) == set(_reference(twice).names)  # markers left out
