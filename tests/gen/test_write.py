"""write_if_changed: atomic, untouched when unchanged, safe under concurrent writers."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from visgen.write import write_if_changed


def test_creates_folders_and_skips_unchanged(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "x.h"
    assert write_if_changed(target, "one\n") is True
    past = 1_000_000_000
    os.utime(target, (past, past))
    assert write_if_changed(target, "one\n") is False
    assert target.stat().st_mtime == past
    assert write_if_changed(target, "two\n") is True
    assert target.read_bytes() == b"two\n"
    assert target.stat().st_mtime != past
    assert [p.name for p in target.parent.iterdir()] == ["x.h"]  # no temporary left


def test_bytes_are_exact(tmp_path: Path) -> None:
    target = tmp_path / "x.def"
    write_if_changed(target, "a\nb\n")
    assert target.read_bytes() == b"a\nb\n"  # never \r\n
    mode = target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def _writer(args: tuple[str, int]) -> int:
    folder, seed = args
    changed = 0
    for i in range(30):
        content = f"content {i % 3}\n" * (100 + seed % 2)
        changed += write_if_changed(Path(folder) / f"f{i % 4}.txt", content)
    return changed


def test_sixteen_processes_one_folder(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn" if os.name == "nt" else "fork")
    with ctx.Pool(16) as pool:
        pool.map(_writer, [(str(tmp_path), n) for n in range(16)])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["f0.txt", "f1.txt", "f2.txt", "f3.txt"]
    for path in tmp_path.iterdir():
        lines = path.read_text().splitlines()
        assert len(lines) in (100, 101)
        assert len(set(lines)) == 1  # never a mix of two writers


def test_same_content_from_many_processes_is_untouched(tmp_path: Path) -> None:
    target = tmp_path / "same.txt"
    write_if_changed(target, "stable\n")
    os.utime(target, (5_000, 5_000))
    ctx = multiprocessing.get_context("fork" if os.name != "nt" else "spawn")
    with ctx.Pool(16) as pool:
        results = pool.starmap(write_if_changed, [(target, "stable\n")] * 16)
    assert not any(results)
    assert target.stat().st_mtime == 5_000
