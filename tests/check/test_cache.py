"""The manifest cache (visgen._cache): exact round trips, never stale, failures ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from visgen import _cache
from visgen.errors import ManifestError
from visgen.manifest import load_manifest, read_manifest

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


def test_small_manifests_are_not_cached(cache_home: Path) -> None:
    load_manifest(VALID / "spec-example.toml")
    assert not cache_home.exists()


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
    assert _cache.cache_dir() == Path("/home/someone/.cache/visgen")


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
