"""The manifest cache (visgen._cache): exact round trips, never stale, failures ignored."""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from visgen import _cache
from visgen.errors import ManifestError
from visgen.manifest import load_manifest, read_manifest

if TYPE_CHECKING:
    from visgen.model import ExportGroup

VALID = Path(__file__).parent.parent / "manifests" / "valid"


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("VISGEN_NO_CACHE", raising=False)
    return home / "visgen"


def big_manifest(path: Path, *, first: str = "alpha", count: int = 12_000) -> Path:
    """A manifest above MIN_SIZE: two versioned groups with names, data, globs, cxx."""
    names = "".join(f'  "{first}_function_number_{i:06d}",  # comment\n' for i in range(count))
    path.write_text(
        "schema = 1\n"
        "[library.big]\n"
        "[[library.big.exports]]\n"
        'node = "BIG_1"\n'
        f"symbols = [\n{names}]\n"
        'data = ["big_table"]\n'
        'globs = ["bigx_*"]\n'
        "[[library.big.exports]]\n"
        'node = "BIG_2"\n'
        'inherits = "BIG_1"\n'
        'cxx = ["big::Thing::*"]\n'
        'optional = ["big_debug", "bigdbg_*"]\n'
        "[library.big.check]\n"
        'allow = ["_ZTI*"]\n'
    )
    assert path.stat().st_size >= _cache.MIN_SIZE
    return path


def test_round_trip_is_exact(tmp_path: Path, cache_home: Path) -> None:
    path = big_manifest(tmp_path / "visgen.toml")
    parsed, _ = read_manifest(path)
    first = load_manifest(path)  # parses, then stores
    assert len(list(cache_home.glob("*.bin"))) == 1
    cached = _cache.load(path)
    assert cached is not None
    assert _cache._same(cached, parsed)
    assert _cache._same(load_manifest(path), first)
    lib = cached.library("big")
    entry = lib.exports[0].entries[777]
    assert entry.location == parsed.library("big").exports[0].entries[777].location
    assert entry.location.line == 6 + 777  # names start on line 6


@pytest.mark.parametrize("name", sorted(p.name for p in VALID.iterdir()))
def test_every_valid_fixture_round_trips(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_cache, "MIN_SIZE", 0)
    path = tmp_path / name
    path.write_bytes((VALID / name).read_bytes())
    parsed, _ = read_manifest(path)
    load_manifest(path)
    cached = _cache.load(path)
    assert cached is not None
    assert _cache._same(cached, parsed)


def test_an_edit_of_the_same_size_is_seen(tmp_path: Path) -> None:
    path = big_manifest(tmp_path / "visgen.toml", first="alpha")
    load_manifest(path)
    assert _cache.load(path) is not None
    big_manifest(path, first="omega")  # same size, same second
    lib = load_manifest(path).library("big")
    assert lib.exports[0].symbols[0] == "omega_function_number_000000"


def test_the_same_content_elsewhere_has_its_own_locations(tmp_path: Path) -> None:
    one = big_manifest(tmp_path / "one.toml")
    load_manifest(one)
    two = tmp_path / "sub" / "one.toml"
    two.parent.mkdir()
    two.write_bytes(one.read_bytes())
    lib = load_manifest(two).library("big")
    assert lib.exports[0].entries[0].location.file == str(two)


def test_small_manifests_are_cached_too(tmp_path: Path, cache_home: Path) -> None:
    small = tmp_path / "visgen.toml"
    small.write_bytes((VALID / "spec-example.toml").read_bytes())
    parsed = load_manifest(small)
    assert len(list(cache_home.glob("*.bin"))) == 1
    cached = _cache.load(small)
    assert cached is not None
    assert _cache._same(cached, parsed)


def test_off_switch(tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISGEN_NO_CACHE", "1")
    load_manifest(big_manifest(tmp_path / "visgen.toml"))
    assert not cache_home.exists()


def test_a_corrupted_entry_is_ignored_and_replaced(tmp_path: Path, cache_home: Path) -> None:
    path = big_manifest(tmp_path / "visgen.toml")
    load_manifest(path)
    (entry,) = cache_home.glob("*.bin")
    entry.write_bytes(b"\x00garbage")
    assert _cache.load(path) is None
    assert load_manifest(path).library("big").exports[0].symbols[-1].endswith("011999")
    assert _cache.load(path) is not None


def test_an_unusable_cache_folder_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    path = big_manifest(tmp_path / "visgen.toml")
    assert load_manifest(path).library("big").exports[1].node == "BIG_2"


def test_a_relative_xdg_value_falls_back_to_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", "/home/someone")
    assert _cache.cache_dir() == "/home/someone/.cache/visgen"


def test_a_manifest_with_errors_is_never_cached(tmp_path: Path, cache_home: Path) -> None:
    path = big_manifest(tmp_path / "visgen.toml")
    path.write_text(path.read_text().replace('inherits = "BIG_1"', 'inherits = "NOPE"'))
    for _ in range(2):
        with pytest.raises(ManifestError):
            load_manifest(path)
    assert not list(cache_home.glob("*.bin"))


def test_old_entries_are_pruned(tmp_path: Path, cache_home: Path) -> None:
    cache_home.mkdir(parents=True)
    for i in range(_cache.MAX_ENTRIES + 5):
        (cache_home / f"{i:032x}.bin").write_bytes(b"x")
    load_manifest(big_manifest(tmp_path / "visgen.toml"))
    assert len(list(cache_home.glob("*.bin"))) == _cache.MAX_ENTRIES


# -- trust: git's racily-clean rule --------------------------------------------------------


def _header(cache_home: Path) -> tuple[Any, ...]:
    """The header of the one entry in the cache folder (marshal data, then the blobs)."""
    (entry,) = cache_home.glob("*.bin")
    with entry.open("rb") as fh:
        header: tuple[Any, ...] = marshal.load(fh)
    return header


def _trusted_flag(cache_home: Path) -> bool:
    magic, _key, _digest, _status, trusted, _payload, _lengths = _header(cache_home)
    assert magic == "visgen-manifest-cache"
    return bool(trusted)


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The cache's clock moved ``seconds`` ahead: the bytes it reads from now on are read
    that long after the file's last change. (A file's ctime cannot be set back, and
    waiting out RACY_SECONDS would slow the suite; the rule compares the read time with
    max(mtime, ctime), so moving the read time is the same as aging both.)"""
    real = time.time_ns
    monkeypatch.setattr(
        _cache, "time", SimpleNamespace(time_ns=lambda: real() + int(seconds * 1e9))
    )


def _counting_digest(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = _cache._digest

    def digest(path: Path) -> tuple[bytes, int]:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(_cache, "_digest", digest)
    return calls


def _no_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    def digest(path: Path) -> tuple[bytes, int]:
        msg = f"the manifest was hashed: {path}"
        raise AssertionError(msg)

    monkeypatch.setattr(_cache, "_digest", digest)


def test_a_fresh_entry_is_untrusted_and_verified_on_every_load(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_manifest(tmp_path / "visgen.toml")
    parsed, _ = read_manifest(path)
    load_manifest(path)  # read just after the write: within RACY_SECONDS of the change
    assert not _trusted_flag(cache_home)
    calls = _counting_digest(monkeypatch)
    for _ in range(2):
        cached = _cache.load(path)
        assert cached is not None
        assert _cache._same(cached, parsed)
    assert calls == [path, path]  # hashed each time, and not rewritten as trusted
    assert not _trusted_flag(cache_home)


def test_an_old_file_gives_a_trusted_entry_used_without_hashing(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_manifest(tmp_path / "visgen.toml")
    parsed, _ = read_manifest(path)
    _later(monkeypatch, _cache.RACY_SECONDS + 1)
    load_manifest(path)
    assert _trusted_flag(cache_home)
    _no_digest(monkeypatch)
    cached = _cache.load(path)
    assert cached is not None
    assert _cache._same(cached, parsed)


def test_a_trusted_entry_is_not_used_once_the_file_changes(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same size, and the old mtime put back: the change time still differs, so the
    entry is checked against the digest, which no longer matches."""
    path = big_manifest(tmp_path / "visgen.toml", first="alpha")
    before = path.stat()
    _later(monkeypatch, _cache.RACY_SECONDS + 1)
    load_manifest(path)
    assert _trusted_flag(cache_home)
    big_manifest(path, first="omega")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    calls = _counting_digest(monkeypatch)
    assert _cache.load(path) is None
    assert calls == [path]
    lib = load_manifest(path).library("big")
    assert lib.exports[0].symbols[0] == "omega_function_number_000000"


def test_an_untrusted_entry_is_trusted_once_the_file_is_old(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_manifest(tmp_path / "visgen.toml")
    parsed, _ = read_manifest(path)
    load_manifest(path)
    assert not _trusted_flag(cache_home)
    first = _header(cache_home)
    _later(monkeypatch, _cache.RACY_SECONDS + 1)
    calls = _counting_digest(monkeypatch)
    cached = _cache.load(path)  # verified by the digest, then rewritten as trusted
    assert calls == [path]
    assert cached is not None
    assert _cache._same(cached, parsed)
    assert _trusted_flag(cache_home)
    rewritten = _header(cache_home)
    assert rewritten[:4] == first[:4]  # same key, digest and status
    assert rewritten[5:] == first[5:]  # same payload and blobs
    _no_digest(monkeypatch)
    again = _cache.load(path)
    assert again is not None
    assert _cache._same(again, parsed)


def test_a_change_while_parsing_is_not_cached(tmp_path: Path, cache_home: Path) -> None:
    path = big_manifest(tmp_path / "visgen.toml", first="alpha")
    before = _cache.stamp(path)
    manifest, _ = read_manifest(path)
    big_manifest(path, first="omega")  # same size: only the times tell
    _cache.store(path, manifest, before)
    assert not list(cache_home.glob("*.bin"))
    _cache.store(path, read_manifest(path)[0], _cache.stamp(path))
    assert len(list(cache_home.glob("*.bin"))) == 1


# -- blobs read on first use -------------------------------------------------------------

MANY = [f"int many_function_{i:04d}(int a) {{ return a + {i}; }}\n" for i in range(300)]


@pytest.fixture(scope="module")
def many_libraries(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two builds of a 300-function library under one node: all of it, and all but the
    last function. (libz, the brief's first choice, has 14 version nodes: its check
    always takes the row path, which builds every entry.)"""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    tmp = tmp_path_factory.mktemp("many")
    out: list[Path] = []
    for name, source in (("many", "".join(MANY)), ("fewer", "".join(MANY[:-1]))):
        (tmp / f"{name}.c").write_text(source)
        (tmp / f"{name}.map").write_text("MANY_1 {\n  global: *;\n};\n")
        lib = tmp / f"lib{name}.so"
        subprocess.run(
            [
                "gcc",
                "-shared",
                "-fPIC",
                "-O1",
                f"-Wl,--version-script={tmp / f'{name}.map'}",
                "-o",
                str(lib),
                str(tmp / f"{name}.c"),
            ],
            check=True,
            capture_output=True,
        )
        out.append(lib)
    return out[0], out[1]


def _deferred(group: ExportGroup) -> bool:
    """True while the group's ``symbols``, ``data`` and ``entries`` are still unbuilt."""
    return group._load is not None


def _recording_set_path(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    from visgen import check as check_module

    real = check_module._check_shared_as_set
    ran: list[bool] = []

    def recording(*args: Any) -> bool:
        result: bool = real(*args)
        ran.append(result)
        return result

    monkeypatch.setattr(check_module, "_check_shared_as_set", recording)
    return ran


@pytest.mark.toolchain
def test_a_clean_check_of_an_extracted_manifest_builds_no_lists(
    tmp_path: Path,
    cache_home: Path,
    many_libraries: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from visgen.check import check_binary
    from visgen.extract import extract_manifest

    many, fewer = many_libraries
    path = tmp_path / "visgen.toml"
    path.write_text(extract_manifest(many))
    assert path.stat().st_size >= _cache.MIN_SIZE
    load_manifest(path)  # parsed, then stored
    ran = _recording_set_path(monkeypatch)
    lib = load_manifest(path).library()  # from the cache
    (group,) = lib.exports
    assert _deferred(group)
    assert check_binary(many, lib) == []
    assert ran == [True]
    assert _deferred(group)  # symbols, data and entries never built
    # a difference needs the entries: they are built then, and say what differs
    findings = check_binary(fewer, lib)
    assert ran == [True, True]
    assert not _deferred(group)
    assert [(f.rule, f.symbol) for f in findings] == [("missing-export", "many_function_0299")]
    assert len(group.symbols) == 300


def _damage_blob(cache_home: Path, blob: int) -> None:
    """One byte of blob ``blob`` of the entry changed: a NUL made a letter, or a letter
    made a NUL, so the blob splits into another number of names."""
    (entry,) = cache_home.glob("*.bin")
    data = bytearray(entry.read_bytes())
    with entry.open("rb") as fh:
        header = marshal.load(fh)
        start = fh.tell()
    lengths: list[int] = header[-1]
    start += sum(lengths[:blob])
    region = data[start : start + lengths[blob]]
    at = region.find(b"\0")
    if at >= 0:
        data[start + at] = ord("x")
    else:
        data[start + len(region) // 2] = 0
    entry.write_bytes(bytes(data))


def test_a_damaged_blob_is_a_manifest_error_when_used(tmp_path: Path, cache_home: Path) -> None:
    path = big_manifest(tmp_path / "visgen.toml")
    load_manifest(path)
    _damage_blob(cache_home, 0)  # the names of the first group's `symbols`
    lib = load_manifest(path).library("big")  # the damage is in a list read on first use
    assert lib.exports[1].node == "BIG_2"
    with pytest.raises(ManifestError) as info:
        _ = lib.exports[0].symbols
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert str(cache_home) in message


def test_a_damaged_blob_read_at_load_is_ignored(tmp_path: Path, cache_home: Path) -> None:
    path = big_manifest(tmp_path / "visgen.toml")
    load_manifest(path)
    _damage_blob(cache_home, 1)  # the first group's `globs`, read when the entry loads
    assert _cache.load(path) is None
    assert load_manifest(path).library("big").exports[0].globs == ("bigx_*",)


def test_a_damaged_blob_in_the_cli_exits_2(tmp_path: Path, cache_home: Path) -> None:
    path = big_manifest(tmp_path / "visgen.toml")
    load_manifest(path)
    _damage_blob(cache_home, 0)
    binary = Path(__file__).parent.parent / "elf" / "fixtures" / "libdemo.so"
    done = subprocess.run(
        [sys.executable, "-m", "visgen", "check", str(binary), "--manifest", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,  # the visgen this test imported, not one in the current folder
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "damaged" in done.stderr
    assert str(cache_home) in done.stderr
