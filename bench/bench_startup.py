"""Start-up cost of visgen beside a bare interpreter, in the same run.

Every build step that runs visgen pays its start-up, so ``import visgen`` must stay
within 10 ms of ``python -c pass`` (issue 4). Runs the three commands alternately,
many times, and prints medians and differences:

    python bench/bench_startup.py [--runs 40]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "bare interpreter": [sys.executable, "-c", "pass"],
    "import visgen": [sys.executable, "-c", "import visgen"],
    "visgen --version": [sys.executable, "-m", "visgen", "--version"],
}


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--limit-ms", type=float, default=10.0, help="allowed import overhead")
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, cmd in COMMANDS.items():  # alternate, so load changes hit all alike
            samples[name].append(timed(cmd))
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    bare = medians["bare interpreter"]
    for name, ms in medians.items():
        print(f"{name:<18} {ms:7.1f} ms   +{ms - bare:5.1f} ms   x{ms / bare:4.2f}")
    overhead = medians["import visgen"] - bare
    verdict = "ok" if overhead <= args.limit_ms else "OVER"
    print(f"import visgen overhead: {overhead:.1f} ms (limit {args.limit_ms:.0f} ms): {verdict}")
    return 0 if overhead <= args.limit_ms else 1


if __name__ == "__main__":
    sys.exit(main())
