"""What visgen delivers: a C++ library built with default visibility, and through visgen.

    python bench/bench_value.py [--classes 2000] [--api 50] [--runs 41] [--jobs 2]
    python bench/bench_value.py --memory [BINARY]    # peak RSS of visgen check / audit

The library: ``--classes`` classes (a virtual base, a virtual override, an inline member
function, a member template and a class template with a static member, each instantiated)
spread over 20 translation units, plus a C API of ``--api`` functions that use them.

- *default*: ``g++ -O1 -fPIC -shared``, nothing hidden (what a project without export
  control ships);
- *visgen*: ``visgen generate`` writes the export header and the version script for a
  manifest listing the C API; the same sources are compiled with
  ``-fvisibility=hidden -fvisibility-inlines-hidden`` and linked with the script.

Printed side by side with ratios: exported dynamic symbols, file size, dynamic
relocations (``readelf -r``), and ``dlopen`` time (the median over ``--runs`` fresh
processes of a small C loader, lazy binding and ``LD_BIND_NOW=1``).

``--memory`` runs ``visgen extract`` (to get a manifest), ``visgen check`` and, when the
command exists, ``visgen audit`` on BINARY (default: the largest libLLVM in
/usr/lib/x86_64-linux-gnu), each in a fresh process, and prints its peak RSS
(``getrusage(RUSAGE_CHILDREN)``) against the file size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNITS = 20

_LOADER = r"""
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>
int main(int argc, char **argv) {
  struct timespec a, b;
  (void)argc;
  clock_gettime(CLOCK_MONOTONIC, &a);
  void *h = dlopen(argv[1], RTLD_LAZY); /* LD_BIND_NOW=1 makes it bind everything now */
  clock_gettime(CLOCK_MONOTONIC, &b);
  if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
  printf("%ld\n", (long)((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec)));
  return 0;
}
"""


def _unit(index: int, per_unit: int) -> str:
    lines = [
        '#include "value/value_export.h"',
        "#include <cstddef>",
        "namespace value {",
        "struct Base { virtual ~Base(); virtual int f(int) const = 0; };",
        "template <int K> struct Counter { static int hits; int bump() { return ++hits + K; } };",
        "template <int K> int Counter<K>::hits = 0;",
    ]
    if index == 0:
        lines.append("Base::~Base() = default;")
    for j in range(per_unit):
        n = index * per_unit + j
        lines += [
            f"class C{n} : public Base {{",
            " public:",
            f"  explicit C{n}(int s) : s_(s) {{}}",
            f"  int f(int x) const override {{ return x * {n % 7 + 1} + s_; }}",
            f"  inline int g() const {{ return s_ + {n}; }}",
            "  template <typename T> T scale(T v) const { return v * static_cast<T>(s_); }",
            "  static int made;",
            " private:",
            "  int s_;",
            "};",
            f"int C{n}::made = 0;",
            f"int use{n}(int x) {{",
            f"  C{n} c(x); Counter<{n % 97}> k;",
            f"  const Base &b = c; ++C{n}::made;",
            "  return b.f(x) + c.g() + c.scale<int>(x) + static_cast<int>(c.scale<double>(x)) + k.bump();",
            "}",
        ]
    lines.append("}  // namespace value")
    return "\n".join(lines) + "\n"


def _api(classes: int, api: int) -> str:
    lines = ['#include "value/value_export.h"', "namespace value {"]
    lines += [f"int use{n}(int x);" for n in range(classes)]
    lines.append("}")
    per = max(1, classes // api)
    for i in range(api):
        calls = " + ".join(f"value::use{n}(x)" for n in range(i * per, min(classes, (i + 1) * per)))
        lines.append(
            f'extern "C" VALUE_EXPORT int value_api_{i}(int x) {{ return {calls or "x"}; }}'
        )
    return "\n".join(lines) + "\n"


def _manifest(api: int) -> str:
    names = ", ".join(f'"value_api_{i}"' for i in range(api))
    return f"""schema = 1

[library.value]
header = "value/value_export.h"

[[library.value.exports]]
node = "VALUE_1.0"
symbols = [{names}]
"""


def _run(cmd: list[str], **kwargs: object) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}{proc.stderr}")
    return str(proc.stdout)


def _build(work: Path, name: str, flags: list[str], link: list[str], jobs: int) -> Path:
    sources = sorted(work.glob("src/*.cpp"))
    objdir = work / f"obj-{name}"
    objdir.mkdir()

    def compile_one(src: Path) -> Path:
        obj = objdir / (src.stem + ".o")
        _run(
            [
                "g++",
                "-std=c++17",
                "-O1",
                "-fPIC",
                "-I",
                str(work / "gen"),
                *flags,
                "-c",
                str(src),
                "-o",
                str(obj),
            ]
        )
        return obj

    with ThreadPoolExecutor(jobs) as pool:
        objects = list(pool.map(compile_one, sources))
    lib = work / f"lib{name}.so"
    _run(["g++", "-shared", "-o", str(lib), *map(str, objects), *link])
    return lib


def _dynsyms(lib: Path) -> int:
    out = _run(["nm", "-D", "--defined-only", str(lib)])
    return sum(1 for line in out.splitlines() if len(line.split()) == 3 and line.split()[1] != "A")


def _relocs(lib: Path) -> int:
    out = _run(["readelf", "-r", "-W", str(lib)])
    return sum(
        1 for line in out.splitlines() if line[:1] in "0123456789abcdef" and len(line.split()) >= 3
    )


def _dlopen_ms(loader: Path, lib: Path, runs: int, *, bind_now: bool) -> float:
    env = {k: v for k, v in os.environ.items() if k != "LD_BIND_NOW"}
    if bind_now:
        env["LD_BIND_NOW"] = "1"
    times = [int(_run([str(loader), str(lib)], env=env)) for _ in range(runs)]
    return statistics.median(times) / 1e6


def value(args: argparse.Namespace) -> int:
    for tool in ("g++", "gcc", "nm", "readelf"):
        if shutil.which(tool) is None:
            sys.exit(f"needs {tool}")
    work = Path(tempfile.mkdtemp(prefix="visgen-value-"))
    try:
        (work / "src").mkdir()
        per_unit = max(1, args.classes // UNITS)
        for i in range(UNITS):
            (work / "src" / f"unit{i:02}.cpp").write_text(_unit(i, per_unit))
        classes = per_unit * UNITS
        (work / "src" / "api.cpp").write_text(_api(classes, args.api))
        (work / "visgen.toml").write_text(_manifest(args.api))
        start = time.perf_counter()
        _run(
            [
                sys.executable,
                "-m",
                "visgen",
                "generate",
                str(work / "visgen.toml"),
                "--out",
                str(work / "gen"),
                "--platform",
                "linux",
            ],
            cwd=ROOT,
        )
        generate_s = time.perf_counter() - start
        start = time.perf_counter()
        default = _build(work, "default", ["-Dvalue_EXPORTS"], [], args.jobs)
        default_s = time.perf_counter() - start
        start = time.perf_counter()
        hidden = _build(
            work,
            "visgen",
            ["-fvisibility=hidden", "-fvisibility-inlines-hidden", "-Dvalue_EXPORTS"],
            [f"-Wl,--version-script={work / 'gen' / 'value.map'}"],
            args.jobs,
        )
        hidden_s = time.perf_counter() - start
        (work / "loader.c").write_text(_LOADER)
        loader = work / "loader"
        _run(["gcc", "-O2", str(work / "loader.c"), "-o", str(loader), "-ldl"])

        rows: list[tuple[str, float, float, str]] = []

        def row(label: str, a: float, b: float, fmt: str) -> None:
            rows.append((label, a, b, fmt))

        row("exported dynamic symbols", _dynsyms(default), _dynsyms(hidden), "{:,.0f}")
        row(
            "file size (KiB)",
            default.stat().st_size / 1024,
            hidden.stat().st_size / 1024,
            "{:,.0f}",
        )
        row("dynamic relocations", _relocs(default), _relocs(hidden), "{:,.0f}")
        row(
            "dlopen, lazy (ms)",
            _dlopen_ms(loader, default, args.runs, bind_now=False),
            _dlopen_ms(loader, hidden, args.runs, bind_now=False),
            "{:.3f}",
        )
        row(
            "dlopen, LD_BIND_NOW=1 (ms)",
            _dlopen_ms(loader, default, args.runs, bind_now=True),
            _dlopen_ms(loader, hidden, args.runs, bind_now=True),
            "{:.3f}",
        )

        print(f"value benchmark: {classes} classes in {UNITS} units, C API of {args.api} functions")
        print(
            f"  (generate {generate_s:.2f} s; build default {default_s:.1f} s, visgen {hidden_s:.1f} s, -j{args.jobs}; dlopen median of {args.runs} fresh processes)"
        )
        print(f"| {'':28} | {'default':>12} | {'visgen':>12} | {'ratio':>8} |")
        print(f"| {'-' * 28} | {'-' * 12}:| {'-' * 12}:| {'-' * 8}:|")
        for label, a, b, fmt in rows:
            ratio = f"{a / b:,.1f}x" if b else "-"
            print(f"| {label:28} | {fmt.format(a):>12} | {fmt.format(b):>12} | {ratio:>8} |")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    return 0


_RSS = """
import resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, proc.returncode)
"""


def _peak_rss(cmd: list[str]) -> tuple[int, int, float]:
    start = time.perf_counter()
    out = _run([sys.executable, "-c", _RSS, *cmd])
    kib, status = out.split()
    return int(kib) * 1024, int(status), time.perf_counter() - start


def memory(binary: Path | None) -> int:
    if binary is None:
        binary = Path("/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1")
        if not binary.is_file():
            sys.exit(f"{binary} not found; pass a binary")
    binary = binary.resolve()
    size = binary.stat().st_size
    work = Path(tempfile.mkdtemp(prefix="visgen-mem-"))
    try:
        manifest = work / "visgen.toml"
        extract = subprocess.run(
            [sys.executable, "-m", "visgen", "extract", str(binary)],
            capture_output=True,
            text=True,
            check=False,
        )
        manifest.write_text(extract.stdout)
        commands = {
            "extract": [sys.executable, "-m", "visgen", "extract", str(binary)],
            "check": [
                sys.executable,
                "-m",
                "visgen",
                "check",
                str(binary),
                "--manifest",
                str(manifest),
            ],
        }
        has_audit = (
            subprocess.run(
                [sys.executable, "-m", "visgen", "audit", "--help"],
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )
        if has_audit:
            commands["audit"] = [sys.executable, "-m", "visgen", "audit", str(binary)]
        print(f"memory: {binary} ({size / 2**20:.1f} MiB); target: peak RSS < 2x file size")
        print("| command | exit | peak RSS (MiB) | RSS / file size | wall (s) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        baseline, _, _ = _peak_rss([sys.executable, "-c", "import visgen.cli"])
        print(
            f"| python -c 'import visgen.cli' (baseline) | 0 | {baseline / 2**20:.1f} | {baseline / size:.2f} | |"
        )
        for name, cmd in commands.items():
            rss, status, wall = _peak_rss(cmd)
            print(
                f"| visgen {name} | {status} | {rss / 2**20:.1f} | {rss / size:.2f} | {wall:.1f} |"
            )
        if not has_audit:
            print("visgen audit: not available in this checkout (no visgen/commands/audit.py)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=2000)
    parser.add_argument("--api", type=int, default=50)
    parser.add_argument("--runs", type=int, default=41)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the build folder")
    parser.add_argument("--memory", nargs="?", const="", default=None, metavar="BINARY")
    args = parser.parse_args(argv)
    if args.memory is not None:
        return memory(Path(args.memory) if args.memory else None)
    return value(args)


if __name__ == "__main__":
    raise SystemExit(main())
