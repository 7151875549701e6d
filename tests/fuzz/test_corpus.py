"""Every input that ever broke a property, replayed (``tests/fuzz/corpus/``).

``manifest/``: manifest texts (loader and generators); ``link/``: manifests the loader
accepts, linked with each linker; ``elf/``: binaries for the ELF reader. Files are
named ``<what failed>-<sha256 prefix>``; ``bench/fuzz_*.py`` adds new ones.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from fuzz.harness import available_linkers, check_elf_bytes, check_manifest_bytes, link_sample

CORPUS = Path(__file__).parent / "corpus"


def _files(kind: str) -> list[Path]:
    folder = CORPUS / kind
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def test_manifest_corpus(tmp_path: Path) -> None:
    for path in _files("manifest"):
        outcome = check_manifest_bytes(path.read_bytes(), tmp_path)
        assert outcome in ("rejected", "findings", "generated", "generation-error"), path.name


@pytest.mark.toolchain
def test_link_corpus(tmp_path: Path) -> None:
    linkers = available_linkers()
    if not linkers:
        pytest.skip("gcc and a linker needed (apt-get install gcc)")
    for path in _files("link"):
        work = tmp_path / path.stem
        work.mkdir()
        assert link_sample(path.read_text(encoding="utf-8"), work, linkers) > 0, path.name


def test_elf_corpus() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for path in _files("elf"):
            assert check_elf_bytes(path.read_bytes(), Path(tmp)) in ("ok", "rejected"), path.name
