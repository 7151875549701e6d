"""Property tests (hypothesis): a small run of what ``bench/fuzz_*.py`` runs 10,000 times.

- any manifest text: the loader accepts it and every generator renders it, or the user
  gets a ManifestError / GenerationError with a message; ``visgen lint`` exits 0, 1 or 2;
- any manifest the loader must accept: its version scripts link a tiny object with
  GNU ld, lld (and gold and mold where present) and export exactly the declared names;
- any mutated ELF file: each reader succeeds or raises BinaryError.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from fuzz.harness import available_linkers, check_elf_bytes, check_manifest_bytes, link_sample
from fuzz.strategies import elf_inputs, manifest_texts, to_toml, valid_manifests

_SCALE = int(os.environ.get("VISGEN_FUZZ_SCALE", "1"))
"""Multiply the example counts (CI keeps 1; a local soak can set 100)."""

_SETTINGS = settings(
    deadline=None,
    database=None,
    # the default run (CI) is the same every time; a soak (VISGEN_FUZZ_SCALE > 1) explores
    derandomize=_SCALE == 1,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(_SETTINGS, max_examples=150 * _SCALE)
@given(data=manifest_texts())
def test_manifest_text_is_accepted_or_rejected_with_a_message(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        outcome = check_manifest_bytes(data, Path(tmp))
    assert outcome in ("rejected", "findings", "generated", "generation-error")


@pytest.mark.toolchain
@settings(_SETTINGS, max_examples=12 * _SCALE)
@given(doc=valid_manifests())
def test_valid_manifest_links_with_every_linker(doc: dict[str, Any]) -> None:
    linkers = available_linkers()
    if "bfd" not in linkers or "lld" not in linkers:
        pytest.skip("gcc with ld.bfd and ld.lld needed (apt-get install gcc lld)")
    with tempfile.TemporaryDirectory() as tmp:
        assert link_sample(to_toml(doc), Path(tmp), linkers) >= 0


@settings(_SETTINGS, max_examples=400 * _SCALE)
@given(case=elf_inputs())
def test_mutated_elf_is_read_or_rejected(case: tuple[str, bytes]) -> None:
    _label, data = case
    with tempfile.TemporaryDirectory() as tmp:
        assert check_elf_bytes(data, Path(tmp)) in ("ok", "rejected")
