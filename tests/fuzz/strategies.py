"""Hypothesis strategies for the fuzz tests and the ``bench/fuzz_*.py`` runs.

Manifests are built as Python tables from the schema's own vocabulary (the keys of
SPEC section 2, variants, platforms, plausible names, globs and C++ patterns), written
as TOML text, and then optionally mutated: a value of the wrong type, a typo in a key,
a span of the text deleted or duplicated, stray bytes (NUL, invalid UTF-8, quotes,
brackets). :func:`valid_manifests` draws only tables the loader must accept, built so
that every exact name can be defined by a tiny object (the linker sample).

ELF inputs are real fixtures with mutations aimed where a reader trips: the ELF header,
the section header table, the symbol and string tables, the version sections and
``.dynamic`` (truncation, flipped bytes, huge counts and offsets, bad ``st_name``).
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

# C and C++ keywords: lint rejects them as registration names (the fuzzers found it did not)
from visgen.manifest import C_KEYWORDS

__all__ = [
    "CXX_DEFINABLE",
    "ELF_FIXTURES",
    "ElfSeed",
    "elf_inputs",
    "elf_seeds",
    "manifest_texts",
    "to_toml",
    "valid_manifests",
]

# -- vocabulary --------------------------------------------------------------------------

VARIANTS = ("static", "shared", "shared-registered", "registered")
PLATFORMS = ("linux", "macos", "windows")

KEYWORD_NAMES = ("local", "global", "extern", "C", "main", "_init", "EXPORTS", "DATA", "LIBRARY")
"""Names that are keywords of some linker-script or .def grammar, or special to a libc."""

IDENTIFIERS = st.one_of(
    st.sampled_from(
        (
            "asyncrtCreateToken",
            "asyncrt_version",
            "foo",
            "bar",
            "_private",
            "x",
            "Init2",
            *KEYWORD_NAMES,
            "int",
            "void",
            "static",
        )
    ),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,14}", fullmatch=True),
)
MANGLED = st.one_of(
    st.sampled_from(("_ZN2fz5alphaEv", "_ZTI3Foo", "_ZN3Foo3barEi", "_Z3fooPKc")),
    st.from_regex(r"_Z[A-Za-z0-9_]{1,12}", fullmatch=True),
)
GLOBS = st.one_of(
    st.sampled_from(("asyncrt*", "foo?", "ba[rz]", "x[!y]*", "*", "_Z*", "lib_[a-c]*")),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}[*?]", fullmatch=True),
)
CXX_DEFINABLE: dict[str, str] = {
    "fz::alpha()": "_ZN2fz5alphaEv",
    "fz::beta(int)": "_ZN2fz4betaEi",
    "fz::Widget::run()": "_ZN2fz6Widget3runEv",
    "fz::Widget::stop(char const*)": "_ZN2fz6Widget4stopEPKc",
    "fz::gamma(double, long)": "_ZN2fz5gammaEdl",
}
"""Exact demangled C++ names the linker sample can define (under their mangled names)."""
CXX = st.one_of(
    st.sampled_from(
        (
            *CXX_DEFINABLE,
            "fz::*",
            "fz::Widget::*",
            "asyncrt::Runtime::*",
            "operator<<(std::ostream&, Foo const&)",
            "std::vector<int, std::allocator<int> >::size() const",
            "ns::f<(anonymous namespace)::T>()",
            "typeinfo for Foo",
            "a::b(",
            "x>y",
        )
    ),
    st.from_regex(r"[a-z]{1,5}(::[A-Za-z_*]{1,6}){1,3}(\(\))?", fullmatch=True),
)
NODES = st.one_of(
    st.sampled_from(("ASYNCRT_1.0", "ASYNCRT_1.1", "V2", "local", "global", "1.0", "A B")),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,10}", fullmatch=True),
)
LIBRARY_NAMES = st.one_of(
    st.sampled_from(("asyncrt", "my-lib", "_x", "core", "9lives", "a.b", "")),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,10}", fullmatch=True),
)
HEADERS = st.sampled_from(
    (
        "asyncrt/asyncrt_export.h",
        "x.h",
        "a/b/c.h",
        "../up.h",
        "/abs.h",
        "C:/win.h",
        "dir/",
        "a\\b.h",
        "",
        "./x/../y.h",
    )
)
ANY_SCALAR: st.SearchStrategy[Any] = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


# -- tables ----------------------------------------------------------------------------------


@st.composite
def _group(draw: st.DrawFn) -> dict[str, Any]:
    group: dict[str, Any] = {}
    if draw(st.booleans()):
        group["node"] = draw(NODES)
    if draw(st.integers(0, 3)) == 0:
        group["inherits"] = draw(NODES)
    for key, names in (
        ("symbols", st.one_of(IDENTIFIERS, MANGLED)),
        ("globs", GLOBS),
        ("cxx", CXX),
        ("data", IDENTIFIERS),
        ("optional", st.one_of(IDENTIFIERS, GLOBS)),
    ):
        if draw(st.booleans()):
            group[key] = draw(st.lists(names, max_size=4))
    if draw(st.integers(0, 3)) == 0:
        group["platforms"] = draw(
            st.lists(st.one_of(st.sampled_from(PLATFORMS), st.text(max_size=6)), max_size=3)
        )
    return group


@st.composite
def _library(draw: st.DrawFn) -> dict[str, Any]:
    lib: dict[str, Any] = {}
    if draw(st.booleans()):
        lib["macro-prefix"] = draw(st.one_of(IDENTIFIERS, st.sampled_from(("1X", "A-B", ""))))
    if draw(st.booleans()):
        lib["header"] = draw(HEADERS)
    if draw(st.booleans()):
        lib["variants"] = draw(
            st.lists(st.one_of(st.sampled_from(VARIANTS), st.text(max_size=8)), max_size=4)
        )
    if draw(st.integers(0, 3)) == 0:
        lib["visibility"] = draw(st.sampled_from(("hidden", "default", "protected")))
    if draw(st.integers(0, 3)) == 0:
        lib["inlines-hidden"] = draw(st.booleans())
    if draw(st.booleans()):
        reg: dict[str, Any] = {}
        for key in ("abi", "init", "destroy", "on-init", "on-destroy"):
            if draw(st.booleans()):
                reg[key] = (
                    draw(st.sampled_from(("c", "mlir", "cpp")))
                    if key == "abi"
                    else draw(IDENTIFIERS)
                )
        lib["registration"] = reg
    lib["exports"] = draw(st.lists(_group(), max_size=4))
    if draw(st.integers(0, 2)) == 0:
        check: dict[str, Any] = {}
        if draw(st.booleans()):
            check["allow"] = draw(st.lists(GLOBS, max_size=3))
        if draw(st.booleans()):
            check["allow-presets"] = draw(
                st.lists(st.sampled_from(("pybind11", "nanobind", "boost")), max_size=2)
            )
        if draw(st.booleans()):
            check["vague"] = draw(st.sampled_from(("error", "warn", "off", "fatal")))
        lib["check"] = check
    return lib


@st.composite
def _document(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if draw(st.integers(0, 9)) != 0:
        doc["schema"] = draw(st.sampled_from((1, 1, 1, 2, 0)))
    doc["library"] = draw(st.dictionaries(LIBRARY_NAMES, _library(), min_size=1, max_size=3))
    if draw(st.integers(0, 4)) == 0:
        doc["build"] = {
            "manifest": draw(HEADERS),
            "check": draw(st.sampled_from(("error", "warn", "off", "on"))),
        }
    return doc


# -- TOML writer ---------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key)


def _value(value: Any) -> str:
    match value:
        case bool():
            return "true" if value else "false"
        case int() | float():
            return repr(value)  # floats: never NaN; inf and -inf are TOML too
        case str():
            return json.dumps(value)
        case list():
            return "[" + ", ".join(_value(v) for v in value) + "]"
        case dict():
            return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    msg = f"cannot write {value!r} as TOML"
    raise TypeError(msg)


def to_toml(doc: dict[str, Any]) -> str:
    """``doc`` as TOML: scalars first, then ``[table]`` and ``[[array of tables]]``."""
    out: list[str] = []

    def table(path: list[str], body: dict[str, Any]) -> None:
        nested: list[tuple[str, Any]] = []
        for k, v in body.items():
            is_aot = isinstance(v, list) and v and all(isinstance(i, dict) for i in v)
            if isinstance(v, dict) or is_aot:
                nested.append((k, v))
            else:
                out.append(f"{_key(k)} = {_value(v)}")
        for k, v in nested:
            sub = [*path, _key(k)]
            if isinstance(v, dict):
                out.append(f"\n[{'.'.join(sub)}]")
                table(sub, v)
            else:
                for item in v:
                    out.append(f"\n[[{'.'.join(sub)}]]")
                    table(sub, item)

    table([], doc)
    return "\n".join(out) + "\n"


# -- mutations -----------------------------------------------------------------------------------


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, (*prefix, i)))
    return out


@st.composite
def _mutate_table(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    """Replace one value by one of another type, or add a misspelt key."""
    doc = json.loads(json.dumps(doc))
    paths = _paths(doc)
    if not paths:
        return doc
    path = draw(st.sampled_from(paths))
    parent: Any = doc
    for part in path[:-1]:
        parent = parent[part]
    if draw(st.booleans()) and isinstance(parent, dict):
        key = str(path[-1])
        typo = draw(st.sampled_from((key[:-1], key + "s", key.replace("-", "_"), key.upper())))
        if typo and typo not in parent:
            parent[typo] = parent[key]
            return doc
    parent[path[-1]] = draw(ANY_SCALAR)
    return doc


_NOISE = (b"\x00", b"\xff\xfe", b'"', b"'", b"[", b"]]", b"=", b"\n", b"\\u", b"#", b"{", b"\xc3")


@st.composite
def _mutate_text(draw: st.DrawFn, data: bytes) -> bytes:
    """Delete, duplicate or insert a span of the TOML text."""
    n = len(data)
    i = draw(st.integers(0, n))
    j = draw(st.integers(i, min(n, i + 40)))
    match draw(st.integers(0, 3)):
        case 0:
            return data[:i] + data[j:]
        case 1:
            return data[:j] + data[i:j] + data[j:]
        case 2:
            return data[:i] + draw(st.sampled_from(_NOISE)) + data[i:]
        case _:
            return data[:i] + draw(st.binary(max_size=8)) + data[j:]


@st.composite
def manifest_texts(draw: st.DrawFn) -> bytes:
    """Manifest files as bytes: valid-ish tables, often mutated."""
    doc = draw(st.one_of(_document(), valid_manifests()))
    if draw(st.integers(0, 2)) == 0:
        doc = draw(_mutate_table(doc))
    data = to_toml(doc).encode()
    for _ in range(draw(st.integers(0, 2)) if draw(st.booleans()) else 0):
        data = draw(_mutate_text(data))
    return data


# -- manifests the loader must accept ------------------------------------------------------------


def _free_name(name: str) -> bool:
    """Not a glob hit (``gx*``), a definable C++ name, or a C keyword (see the corpus)."""
    return (
        not name.startswith(("gx", "gz"))
        and name not in CXX_DEFINABLE.values()
        and name not in C_KEYWORDS
    )


@st.composite
def valid_manifests(draw: st.DrawFn) -> dict[str, Any]:
    """One library whose every exact name the linker sample can define.

    Exact names are unique; globs are ``gx<2 letters>*`` with distinct letters (no glob
    covers a name or another glob); C++ entries come from :data:`CXX_DEFINABLE` and
    ``fz::Widget::*``; all groups have a node or none does.
    """
    pool = draw(
        st.lists(
            st.one_of(IDENTIFIERS, MANGLED).filter(_free_name),
            unique=True,
            min_size=2,
            max_size=14,
        )
    )
    init, destroy = pool[0], pool[1]
    names = pool[2:]
    glob_stems = draw(
        st.lists(st.from_regex(r"gx[a-z]{2}", fullmatch=True), unique=True, max_size=3)
    )
    cxx_pool = draw(st.lists(st.sampled_from(sorted(CXX_DEFINABLE)), unique=True, max_size=3))
    use_widget_pattern = draw(st.booleans()) and not any("Widget" in c for c in cxx_pool)
    n_groups = draw(st.integers(1, 3))
    versioned = draw(st.booleans())
    node_names = draw(
        st.lists(
            st.from_regex(r"[A-Z][A-Z0-9_]{0,6}_[0-9]\.[0-9]", fullmatch=True),
            unique=True,
            min_size=n_groups,
            max_size=n_groups,
        )
    )
    groups: list[dict[str, Any]] = [{} for _ in range(n_groups)]
    for idx, name in enumerate(names):
        slot = draw(st.sampled_from(("symbols", "data", "optional")))
        groups[idx % n_groups].setdefault(slot, []).append(name)
    for idx, stem in enumerate(glob_stems):
        groups[idx % n_groups].setdefault("globs", []).append(stem + "*")
    for idx, cxx in enumerate(cxx_pool):
        groups[idx % n_groups].setdefault("cxx", []).append(cxx)
    if use_widget_pattern:
        groups[0].setdefault("cxx", []).append("fz::Widget::*")
    for idx, group in enumerate(groups):
        if not group:
            group["optional"] = [f"gzempty{idx}_*"]
        if versioned:
            group["node"] = node_names[idx]
            if idx:
                group["inherits"] = node_names[idx - 1]
    variants = draw(
        st.lists(st.sampled_from(VARIANTS), unique=True, min_size=1, max_size=4).map(
            lambda vs: [v for v in VARIANTS if v in vs]
        )
    )
    lib: dict[str, Any] = {"variants": variants, "exports": groups}
    if any(v.endswith("registered") for v in variants):
        lib["registration"] = {"init": init, "destroy": destroy}
    name = draw(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True))
    return {"schema": 1, "library": {name: lib}}


# -- ELF inputs -------------------------------------------------------------------------------------

ELF_FIXTURES = Path(__file__).resolve().parent.parent / "elf" / "fixtures"


@dataclass(frozen=True)
class ElfSeed:
    """A real file and the byte ranges worth mutating: (label, offset, size, entry size)."""

    name: str
    data: bytes
    regions: tuple[tuple[str, int, int, int], ...]


def _regions(data: bytes) -> tuple[tuple[str, int, int, int], ...]:
    """The ELF header, the section header table, and each interesting section."""
    if data[:4] != b"\x7fELF" or len(data) < 64:
        return (("file", 0, len(data), 1),)
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        (shoff,) = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)
        (phoff,) = struct.unpack_from(end + "Q", data, 0x20)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 0x36)
    else:
        (shoff,) = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x2E)
        (phoff,) = struct.unpack_from(end + "I", data, 0x1C)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 0x2A)
    regions = [("ehdr", 0, 64 if is64 else 52, 1)]
    if phnum:
        regions.append(("phdrs", phoff, phentsize * phnum, phentsize))
    if shnum:
        regions.append(("shdrs", shoff, shentsize * shnum, shentsize))
    wanted = {2: "symtab", 3: "strtab", 6: "dynamic", 11: "dynsym"}
    wanted |= {0x6FFFFFFD: "verdef", 0x6FFFFFFE: "verneed", 0x6FFFFFFF: "versym"}
    for i in range(shnum):
        base = shoff + i * shentsize
        if base + shentsize > len(data):
            break
        if is64:
            (sh_type,) = struct.unpack_from(end + "I", data, base + 4)
            off, size = struct.unpack_from(end + "QQ", data, base + 0x18)
            (entsize,) = struct.unpack_from(end + "Q", data, base + 0x38)
        else:
            (sh_type,) = struct.unpack_from(end + "I", data, base + 4)
            off, size = struct.unpack_from(end + "II", data, base + 0x10)
            (entsize,) = struct.unpack_from(end + "I", data, base + 0x24)
        label = wanted.get(sh_type)
        if label and size and off + size <= len(data):
            regions.append((label, off, size, entsize or 1))
    del shstrndx
    return tuple(regions)


def load_elf_seeds() -> list[ElfSeed]:
    seeds = []
    for path in sorted(ELF_FIXTURES.iterdir()):
        if path.suffix in (".so", ".a"):
            data = path.read_bytes()
            seeds.append(ElfSeed(path.name, data, _regions(data)))
    return seeds


def elf_seeds() -> st.SearchStrategy[ElfSeed]:
    return st.sampled_from(load_elf_seeds())


_INTERESTING = (
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"\xff\xff\xff\xff",
    b"\xff\xff\xff\x7f",
    b"\x00\x00\x00\x80",
    b"\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\x01\x00",
    b"\xff\xff",
)


@st.composite
def _mutation(draw: st.DrawFn, seed: ElfSeed, data: bytearray) -> str:
    label, off, size, entsize = draw(st.sampled_from(seed.regions))
    kind = draw(st.integers(0, 9))
    if kind == 0 and draw(st.booleans()):  # truncate (inside the region, so the tables are cut)
        cut = draw(st.integers(0, min(len(data), off + size)))
        del data[cut:]
        return f"truncate@{cut}"
    if kind in (1, 8) and label in ("symtab", "dynsym") and entsize >= 4:  # bad st_name
        index = draw(st.integers(0, max(0, size // entsize - 1)))
        value = draw(st.sampled_from((0xFFFFFFFF, 0x7FFFFFFF, size * 16, 1 << 20)))
        pos = off + index * entsize
        if pos + 4 > len(data) or len(data) < 6:  # an earlier truncation removed it
            return "skip"
        data[pos : pos + 4] = value.to_bytes(4, "little" if data[5] == 1 else "big")
        return f"{label}[{index}].st_name={value:#x}"
    pos = off + draw(st.integers(0, max(0, size - 1)))
    if pos >= len(data):  # an earlier truncation removed the region
        return "skip"
    if kind in (0, 2, 4, 6):  # flip bits
        data[pos] ^= 1 << draw(st.integers(0, 7))
        return f"{label}+{pos - off}:flip"
    blob = (
        draw(st.sampled_from(_INTERESTING))
        if kind in (3, 5, 7)
        else draw(st.binary(min_size=1, max_size=8))
    )
    data[pos : pos + len(blob)] = blob
    return f"{label}+{pos - off}:{blob.hex()}"


@st.composite
def elf_inputs(draw: st.DrawFn) -> tuple[str, bytes]:
    """(description, bytes): a fixture with one to four mutations."""
    seed = draw(elf_seeds())
    data = bytearray(seed.data)
    steps = [draw(_mutation(seed, data)) for _ in range(draw(st.integers(1, 4)))]
    return f"{seed.name}:{','.join(steps)}", bytes(data)
