"""Benchmark: a whole ``visgen generate`` process vs a plain string-join script.

Both read the same 50,000-symbol manifest (tomllib) and write the same kinds of file
for linux: the export header, the version script of ``shared`` and of ``registered``,
and the registration source. Each runs as a fresh process (interpreter start, imports,
parse, render, write), ``--runs`` times; the medians and their ratio are printed.
Target: ratio <= 2.

    python bench/bench_generate.py [--symbols 50000] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

JOIN_SCRIPT = r"""
import sys, tomllib
from pathlib import Path
doc = tomllib.loads(Path(sys.argv[1]).read_text())
out = Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
for name, lib in doc["library"].items():
    groups = lib["exports"]
    nodes = []
    for g in groups:
        names = g.get("symbols", []) + g.get("data", [])
        nodes.append(f"{g['node']} {{\n  global:\n    " + ";\n    ".join(names) + ";\n}"
                     + (f" {g['inherits']}" if g.get("inherits") else "") + ";\n")
    nodes[-1] = nodes[-1].replace("\n}", "\n  local:\n    *;\n}", 1)
    (out / f"{name}.map").write_text("".join(nodes))
    (out / f"{name}_registered.map").write_text(
        f"{{\n  global:\n    __{name}_init;\n    __{name}_destroy;\n  local:\n    *;\n}};\n")
    (out / f"{name}_export.h").write_text(f"#ifndef {name.upper()}_EXPORT_H\n#endif\n")
    all_names = [n for g in groups for n in g.get("symbols", []) + g.get("data", [])]
    decls = "".join(f'extern char visgen_sym_{i}[] __asm__("{n}");\n' for i, n in enumerate(all_names))
    table = "".join(f'  {{"{n}", (void *)visgen_sym_{i}}},\n' for i, n in enumerate(all_names))
    (out / f"{name}_registration.c").write_text(decls + "static const struct e t[] = {\n" + table + "};\n")
"""


def write_manifest(path: Path, symbols: int) -> None:
    half = symbols // 2
    lines = [
        "schema = 1",
        "[library.big]",
        'variants = ["static", "shared", "registered"]',
        "[[library.big.exports]]",
        'node = "BIG_1.0"',
        "symbols = [",
        *(f'  "big_fn_{i}",' for i in range(half)),
        "]",
        "[[library.big.exports]]",
        'node = "BIG_1.1"',
        'inherits = "BIG_1.0"',
        "symbols = [",
        *(f'  "big_fn_{i}",' for i in range(half, symbols)),
        "]",
    ]
    path.write_text("\n".join(lines) + "\n")


STAGES = r"""
import sys, time
t0 = time.perf_counter()
from pathlib import Path
from visgen.manifest import load_manifest
from visgen.render import plan_library, render_artifacts
import jinja2
t1 = time.perf_counter()
manifest = load_manifest(sys.argv[1])
t2 = time.perf_counter()
lib = manifest.libraries[0]
plan = plan_library(lib, "linux", list(lib.variants))
t3 = time.perf_counter()
render_artifacts(plan.artifacts, Path(sys.argv[2]))
t4 = time.perf_counter()
print(f"  imports {1000*(t1-t0):.0f} ms, load_manifest {1000*(t2-t1):.0f} ms, "
      f"plan {1000*(t3-t2):.0f} ms, render+write {1000*(t4-t3):.0f} ms")
"""


def timed(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        manifest = root / "visgen.toml"
        write_manifest(manifest, args.symbols)
        join = root / "join.py"
        join.write_text(JOIN_SCRIPT)
        visgen_cmd = [
            sys.executable,
            "-m",
            "visgen",
            "generate",
            str(manifest),
            "--out",
            str(root / "out-visgen"),
            "--platform",
            "linux",
        ]
        join_cmd = [sys.executable, str(join), str(manifest), str(root / "out-join")]
        subprocess.run(visgen_cmd, check=True)  # warm the file cache, check it works
        # rewrite into fresh folders each run would measure the writer too; the
        # unchanged-content path is what an incremental build sees, so time both
        t_visgen = timed(visgen_cmd, args.runs)
        t_join = timed(join_cmd, args.runs)
        fresh = [*visgen_cmd[:5], "--out", str(root / "fresh"), "--platform", "linux"]
        t_fresh = timed(fresh, 1)
        sizes = sum(p.stat().st_size for p in (root / "out-visgen").iterdir())
    print(f"symbols: {args.symbols}, runs: {args.runs}, output: {sizes / 1e6:.1f} MB")
    print(f"visgen generate (files unchanged): {t_visgen * 1000:7.1f} ms")
    print(f"visgen generate (first write):     {t_fresh * 1000:7.1f} ms")
    print(f"string-join script:                {t_join * 1000:7.1f} ms")
    print(f"ratio:                             {t_visgen / t_join:7.2f}x (target <= 2x)")
    print("visgen stages, in one process:")
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "visgen.toml"
        write_manifest(manifest, args.symbols)
        subprocess.run(
            [sys.executable, "-c", STAGES, str(manifest), str(Path(tmp) / "o")], check=True
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
