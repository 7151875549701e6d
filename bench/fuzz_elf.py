"""Fuzz the ELF reader with mutated real files; print the counts.

    python bench/fuzz_elf.py [--examples 10000] [--seed 0]

Each input is a fixture of ``tests/elf/fixtures`` (x86-64, i386, ppc, ppc64, stripped,
C++, an archive, the committed corrupt files) with one to four mutations aimed at the
ELF header, program and section header tables, ``.dynsym``/``.symtab``, their string
tables, the version sections and ``.dynamic``: truncation, flipped bits, interesting
values (0, -1, 2**31), random bytes and out-of-range ``st_name`` string indexes. Every
reader (``read_symbols`` with and without ``.symtab``, ``read_dynamic``,
``read_archive``) must succeed or raise ``BinaryError``; an input that takes longer
than ``--slow`` seconds is reported too. Crashes are saved under
``tests/fuzz/corpus/elf/`` unless ``--no-save``; exit status 1 when anything crashed.
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

from fuzz.harness import check_elf_bytes, crash_signature  # noqa: E402
from fuzz.strategies import elf_inputs  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

CORPUS = ROOT / "tests" / "fuzz" / "corpus" / "elf"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slow", type=float, default=2.0)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)

    counts: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    crashes: dict[str, tuple[str, str, Path | None]] = {}
    slow: list[tuple[float, str]] = []
    work = Path(tempfile.mkdtemp(prefix="visgen-fuzz-elf-"))

    @seed(args.seed)
    @settings(
        max_examples=args.examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=elf_inputs())
    def run(case: tuple[str, bytes]) -> None:
        label, data = case
        counts["inputs"] += 1
        for step in label.split(":", 1)[1].split(","):
            by_region[step.split("+")[0].split("[")[0].split("@")[0].split("=")[0]] += 1
        start = time.perf_counter()
        try:
            counts[check_elf_bytes(data, work)] += 1
        except Exception as exc:  # noqa: BLE001 - every other exception is a finding
            counts["crash"] += 1
            sig = crash_signature(exc)
            if sig not in crashes:
                saved = None
                if not args.no_save:
                    digest = hashlib.sha256(data).hexdigest()[:10]
                    saved = CORPUS / f"{sig.replace('@', '-')}-{digest}.bin"
                    saved.parent.mkdir(parents=True, exist_ok=True)
                    saved.write_bytes(data)
                crashes[sig] = (label, f"{exc}".splitlines()[0][:200] if str(exc) else "", saved)
        elapsed = time.perf_counter() - start
        if elapsed > args.slow:
            slow.append((elapsed, label))

    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    shutil.rmtree(work, ignore_errors=True)

    print(f"ELF fuzz: {counts['inputs']} inputs in {elapsed:.1f} s")
    print(f"  ok (every reader)      {counts['ok']}")
    print(f"  rejected (BinaryError) {counts['rejected']}")
    print(f"  crash                  {counts['crash']}")
    print(f"  slower than {args.slow:g} s      {len(slow)}")
    print("mutations by target: " + ", ".join(f"{k} {v}" for k, v in by_region.most_common()))
    print(f"distinct crashes: {len(crashes)}")
    for sig, (label, message, saved) in sorted(crashes.items()):
        print(f"  {sig}: {message}\n    input {label}")
        if saved:
            print(f"    saved {saved.relative_to(ROOT)}")
    for elapsed_s, label in sorted(slow, reverse=True)[:5]:
        print(f"  slow {elapsed_s:.1f} s: {label}")
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
