"""The fast ELF reader against nm, readelf and pyelftools, and against broken input."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from visgen.elf import SHN_ABS, read_archive, read_dynamic, read_symbols
from visgen.errors import BinaryError

FIXTURES = Path(__file__).parent / "fixtures"
DEMO = FIXTURES / "libdemo.so"
CROSS = sorted(FIXTURES.glob("libdemo-*-linux-gnu.so"))
SYSTEM_DIRS = (Path("/usr/lib/x86_64-linux-gnu"), Path("/lib/x86_64-linux-gnu"), Path("/usr/lib64"))


def _system_lib(*names: str) -> Path | None:
    for d in SYSTEM_DIRS:
        for n in names:
            if (d / n).exists():
                return d / n
    return None


SYSTEM = [
    p
    for p in (
        _system_lib("libz.so.1"),
        _system_lib("libstdc++.so.6"),
        _system_lib("libc.so.6"),
        _system_lib("libm.so.6"),
    )
    if p is not None
]
ALL = [DEMO, FIXTURES / "libcxxdemo.so", FIXTURES / "libdemo-stripped.so", *CROSS, *SYSTEM]


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def nm_defined(path: Path) -> list[str]:
    if shutil.which("nm") is None:
        pytest.skip("nm (binutils) not installed")
    out = subprocess.run(
        ["nm", "-D", "--defined-only", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return sorted(line.split()[-1] for line in out.splitlines() if line.strip())


def readelf_nodes(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(node, parents) in definition order from `readelf -V`, base entry left out."""
    if shutil.which("readelf") is None:
        pytest.skip("readelf (binutils) not installed")
    out = subprocess.run(
        ["readelf", "-V", "-W", str(path)], capture_output=True, text=True, check=True
    ).stdout
    nodes: list[tuple[str, list[str]]] = []
    in_defs = False
    for line in out.splitlines():
        if line.startswith("Version definition section"):
            in_defs = True
            continue
        if in_defs and (line.startswith("Version") or not line.strip()):
            if nodes or line.startswith("Version"):
                in_defs = line.startswith("Version definition")
            continue
        if not in_defs:
            continue
        m = re.search(r"Flags: (\S+).*Name: (\S+)", line)
        if m:
            nodes.append((m.group(2) if m.group(1) != "BASE" else "", []))
            continue
        m = re.search(r"Parent \d+: (\S+)", line)
        if m and nodes:
            nodes[-1][1].append(m.group(1))
    return [(n, tuple(p)) for n, p in nodes if n]


@pytest.mark.toolchain
@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_defined_dynamic_symbols_equal_nm(path: Path) -> None:
    image = read_symbols(path)
    mine = sorted(s.versioned_name for s in image.dynsym.symbols() if s.defined)
    assert mine == nm_defined(path)


@pytest.mark.toolchain
@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_version_nodes_equal_readelf(path: Path) -> None:
    image = read_symbols(path)
    assert [(v.name, v.parents) for v in image.nodes] == readelf_nodes(path)


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_agrees_with_pyelftools(path: Path) -> None:
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    image = read_symbols(path)
    with path.open("rb") as fh:
        elf = ELFFile(fh)
        assert image.bits == elf.elfclass
        assert image.byteorder == ("little" if elf.little_endian else "big")
        for kind, table in (("SHT_DYNSYM", image.dynsym), ("SHT_SYMTAB", image.symtab)):
            secs = [
                s
                for s in elf.iter_sections()
                if isinstance(s, SymbolTableSection) and s["sh_type"] == kind
            ]
            if not secs:
                assert table is None or table.length == 0
                continue
            assert table is not None
            ref = list(secs[0].iter_symbols())[1:]
            assert table.length == len(ref)
            for mine, theirs in zip(table.symbols(), ref, strict=True):
                assert mine.name == theirs.name
                bind = theirs["st_info"]["bind"]
                assert mine.binding == ("STB_GNU_UNIQUE" if bind == "STB_LOOS" else bind)
                typ = theirs["st_info"]["type"]
                assert mine.type == ("STT_GNU_IFUNC" if typ == "STT_LOOS" else typ)
                assert mine.visibility == theirs["st_other"]["visibility"]
                assert mine.size == theirs["st_size"]
                assert mine.value == theirs["st_value"]
                shndx = theirs["st_shndx"]
                if isinstance(shndx, int):
                    assert mine.shndx == shndx
                else:
                    assert (mine.shndx == 0) == (shndx == "SHN_UNDEF")


def test_demo_details() -> None:
    image = read_symbols(DEMO)
    assert image.elf_type == "ET_DYN"
    assert [v.name for v in image.nodes] == ["DEMO_1.0", "DEMO_1.1"]
    assert image.nodes[1].parents == ("DEMO_1.0",)
    by = {s.name: s for s in image.exported()}
    assert by["demo_cancel"].version == "DEMO_1.1"
    assert not by["demo_cancel"].version_hidden
    assert by["demo_version"].type == "STT_OBJECT"
    assert by["DEMO_1.0"].shndx == SHN_ABS
    assert by["DEMO_1.0"].is_version_marker
    assert image.symtab is not None
    local = image.symtab.by_name()
    # GNU ld clears STV_HIDDEN when it makes a symbol local; lld keeps it.
    assert local["demo_internal"].binding == "STB_LOCAL"
    assert local["demo_scripted_local"].binding == "STB_LOCAL"
    lld = read_symbols(FIXTURES / "libdemo-i386-linux-gnu.so").symtab
    assert lld is not None
    assert lld.by_name()["demo_no_macro"].visibility == "STV_HIDDEN"
    assert local["demo_scripted_local"].visibility == "STV_DEFAULT"
    assert read_symbols(FIXTURES / "libdemo-stripped.so").symtab is None


def test_unique_symbols() -> None:
    image = read_symbols(FIXTURES / "libcxxdemo.so")
    unique = {s.name for s in image.exported() if s.binding == "STB_GNU_UNIQUE"}
    assert "_ZN7cxxdemo8RegistryIiE5countE" in unique


def test_dynamic_info() -> None:
    info = read_dynamic(DEMO)
    assert info.soname == "libdemo.so.1"
    libz = _system_lib("libz.so.1")
    if libz is not None:
        assert "libc.so.6" in read_dynamic(libz).needed


def test_archive() -> None:
    members = read_archive(FIXTURES / "libarc.a")
    assert [m.name for m in members] == ["archive_a.o", "archive_b.o"]
    syms = {
        s.name: s for m in members if m.image.symtab is not None for s in m.image.symtab.symbols()
    }
    assert syms["arc_alpha"].visibility == "STV_HIDDEN"
    assert syms["arc_beta"].visibility == "STV_DEFAULT"
    assert all(m.image.elf_type == "ET_REL" for m in members)


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("corrupt-truncated.so", "beyond the end of the file"),
        ("corrupt-text.so", "not an ELF file"),
        ("corrupt-class.so", "bad ELF class"),
        ("does-not-exist.so", "cannot read"),
    ],
)
def test_committed_corrupt_files(name: str, needle: str) -> None:
    with pytest.raises(BinaryError, match=needle) as info:
        read_symbols(FIXTURES / name)
    assert str(info.value).startswith(str(FIXTURES / name))
    assert "\n" not in str(info.value)


def test_directory_and_empty(tmp_path: Path) -> None:
    with pytest.raises(BinaryError, match="directory"):
        read_symbols(tmp_path)
    (tmp_path / "empty.so").write_bytes(b"")
    with pytest.raises(BinaryError, match="empty"):
        read_symbols(tmp_path / "empty.so")


def _read_all(path: Path) -> None:
    image = read_symbols(path)
    for s in image.dynsym.symbols():
        _ = s.versioned_name


def _error_of(path: Path) -> str | None:
    """The BinaryError message reading ``path`` gives, or None when it reads fine."""
    try:
        _read_all(path)
    except BinaryError as exc:
        return str(exc)
    return None


def _corrupt_copies(src: Path, tmp: Path) -> list[Path]:
    """Truncated at many offsets, header bytes flipped, section fields and strings broken."""
    data = src.read_bytes()
    out: list[Path] = []

    def add(tag: str, blob: bytes) -> None:
        p = tmp / f"{src.name}.{tag}"
        p.write_bytes(blob)
        out.append(p)

    step = max(1, len(data) // 97)
    for cut in range(0, len(data), step):
        add(f"cut{cut}", data[:cut])
    for i in range(64):
        for val in (0x00, 0xFF, 0x7F):
            b = bytearray(data)
            b[i] = val
            add(f"hdr{i}-{val}", bytes(b))
    # Scramble every word of the section header table, one at a time.
    import struct

    shoff = struct.unpack_from("<Q", data, 0x28)[0] if data[4] == 2 else 0
    if shoff:
        for off in range(shoff, min(len(data), shoff + 64 * 40), 4):
            b = bytearray(data)
            b[off : off + 4] = b"\xff\xff\xff\x7f"
            add(f"sh{off}", bytes(b))
    return out


@pytest.mark.parametrize("src", [DEMO, FIXTURES / "libcxxdemo.so", *CROSS], ids=lambda p: p.name)
def test_corrupted_copies_give_binary_error_or_read(src: Path, tmp_path: Path) -> None:
    for path in _corrupt_copies(src, tmp_path):
        message = _error_of(path)
        assert message is None or (message.startswith(str(path)) and "\n" not in message)


def test_bad_string_index(tmp_path: Path) -> None:
    import struct

    data = bytearray(DEMO.read_bytes())
    image = read_symbols(DEMO)
    assert image.bits == 64
    from elftools.elf.elffile import ELFFile

    with DEMO.open("rb") as fh:
        dynsym = ELFFile(fh).get_section_by_name(".dynsym")
        assert dynsym is not None
        off = dynsym["sh_offset"] + 24  # entry 1
    struct.pack_into("<I", data, off, 0x7FFFFFF0)
    bad = tmp_path / "badstr.so"
    bad.write_bytes(bytes(data))
    with pytest.raises(BinaryError, match="string index"):
        read_symbols(bad)


@pytest.mark.slow
@pytest.mark.parametrize("src", SYSTEM[:2], ids=_ids(SYSTEM[:2]))
def test_corrupted_system_libraries(src: Path, tmp_path: Path) -> None:
    for path in _corrupt_copies(src, tmp_path)[:60]:
        message = _error_of(path)
        assert message is None or "\n" not in message
