"""Fuzz the manifest loader and the generators; print the counts.

    python bench/fuzz_manifest.py [--examples 10000] [--links 300] [--seed 0]

Phase 1 draws ``--examples`` manifest texts (valid-ish tables from the schema's
vocabulary, often mutated: wrong types, misspelt keys, cut or duplicated spans, stray
bytes) and runs each through ``visgen lint`` (in-process), the loader and the
generators for linux, macos and windows (``tests/fuzz/harness.py``). Phase 2 draws
``--links`` manifests the loader must accept and links their version scripts (with and
without ``--objects``) with every linker present, checking the exports.

A crash (any exception other than ManifestError, GenerationError or a clean result, or
a broken property) is saved under ``tests/fuzz/corpus/`` (replayed by the tests) unless
``--no-save``. Exit status 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fuzz.harness import (  # noqa: E402
    available_linkers,
    check_manifest_bytes,
    crash_signature,
    link_sample,
)
from fuzz.strategies import manifest_texts, to_toml, valid_manifests  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

CORPUS = ROOT / "tests" / "fuzz" / "corpus"


def _save(kind: str, data: bytes, label: str, suffix: str) -> Path:
    digest = hashlib.sha256(data).hexdigest()[:10]
    path = CORPUS / kind / f"{label}-{digest}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--links", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)

    counts: Counter[str] = Counter()
    crashes: dict[str, tuple[str, Path | None]] = {}
    work = Path(tempfile.mkdtemp(prefix="visgen-fuzz-"))

    def record(kind: str, data: bytes, exc: BaseException, suffix: str) -> None:
        sig = crash_signature(exc)
        counts["crash"] += 1
        if sig not in crashes:
            saved = None if args.no_save else _save(kind, data, sig.replace("@", "-"), suffix)
            crashes[sig] = (f"{exc}".splitlines()[0][:200] if str(exc) else "", saved)

    fuzz_settings = settings(
        max_examples=args.examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )

    @fuzz_settings
    @given(data=manifest_texts())
    def phase1(data: bytes) -> None:
        shutil.rmtree(work / "out", ignore_errors=True)
        counts["inputs"] += 1
        try:
            counts[check_manifest_bytes(data, work)] += 1
        except Exception as exc:  # noqa: BLE001 - every other exception is a finding
            record("manifest", data, exc, ".toml")

    linkers = available_linkers()
    link_work = work / "link"

    @settings(fuzz_settings, max_examples=args.links)
    @given(doc=valid_manifests())
    def phase2(doc: dict[str, object]) -> None:
        shutil.rmtree(link_work, ignore_errors=True)
        link_work.mkdir()
        counts["link-manifests"] += 1
        text = to_toml(doc)
        try:
            counts["links"] += link_sample(text, link_work, linkers)
        except Exception as exc:  # noqa: BLE001
            record("link", text.encode(), exc, ".toml")

    start = time.perf_counter()
    seed(args.seed)(phase1)()
    mid = time.perf_counter()
    if linkers and args.links:
        seed(args.seed)(phase2)()
    end = time.perf_counter()
    shutil.rmtree(work, ignore_errors=True)

    print(f"manifest fuzz: {counts['inputs']} inputs in {mid - start:.1f} s")
    for key in ("rejected", "findings", "generated", "generation-error", "crash"):
        print(f"  {key:17} {counts[key]}")
    print(
        f"linker sample: {counts['link-manifests']} manifests, {counts['links']} links "
        f"({', '.join(linkers) or 'no linker'}) in {end - mid:.1f} s"
    )
    print(f"distinct crashes: {len(crashes)}")
    for sig, (message, saved) in sorted(crashes.items()):
        print(f"  {sig}: {message}" + (f"\n    saved {saved.relative_to(ROOT)}" if saved else ""))
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
