"""The configure and build cost visgen's CMake module adds to a project of 20 libraries.

Two generated projects, side by side in one run, each with N small C libraries (two
sources, five exported functions and one hidden helper each):

- ``visgen``: one ``visgen.toml`` for all of them; ``visgen_add_library(libNN SOURCES ...
  VARIANTS shared)`` per library (header, version script and post-link check generated);
- ``plain``: ``add_library(libNN SHARED ...)`` with ``C_VISIBILITY_PRESET hidden`` and a
  hand-written export header, which is what a project does without visgen.

Measured per project, alternating, median of ``--runs``: a fresh configure (compiler
checks included, as a user meets it), a re-configure of the configured tree (what
editing a CMakeLists.txt or the manifest costs), a full build, and a no-op build.

Usage:
    python bench/bench_cmake.py [--libs 20] [--runs 3] [--cmake PATH] [--jobs N] [--no-check]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = 5

SOURCE = """\
#include "{name}/{name}_export.h"
static int {name}_{part}_state;
int {name}_{part}_helper(int x) {{ return x * 3 + {name}_{part}_state; }}  /* hidden */
{body}
"""
FUNCTION = (
    "{macro}_EXPORT int {name}_{part}_api_{i}(int x) {{ return {name}_{part}_helper(x) + {i}; }}\n"
)
PLAIN_HEADER = """\
#ifndef {macro}_EXPORT_H
#define {macro}_EXPORT_H
#define {macro}_EXPORT __attribute__((visibility("default")))
#endif
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_projects(root: Path, libs: int) -> tuple[Path, Path]:
    """Write the ``visgen`` and ``plain`` projects under ``root``; return their folders."""
    with_visgen = root / "visgen"
    plain = root / "plain"
    manifest = ["schema = 1\n"]
    cmake_visgen = [
        "cmake_minimum_required(VERSION 3.20)\n",
        "project(bench_visgen C)\n",
        "find_package(visgen CONFIG REQUIRED)\n",
    ]
    cmake_plain = ["cmake_minimum_required(VERSION 3.20)\n", "project(bench_plain C)\n"]
    for n in range(libs):
        name = f"lib{n:02d}"
        macro = name.upper()
        sources = []
        for part in ("a", "b"):
            body = "".join(
                FUNCTION.format(macro=macro, name=name, part=part, i=i) for i in range(FUNCTIONS)
            )
            text = SOURCE.format(name=name, part=part, body=body)
            for project in (with_visgen, plain):
                _write(project / "src" / name / f"{part}.c", text)
            sources.append(f"src/{name}/{part}.c")
        _write(plain / "include" / name / f"{name}_export.h", PLAIN_HEADER.format(macro=macro))
        manifest.append(
            f'\n[library.{name}]\nheader = "{name}/{name}_export.h"\nvariants = ["shared"]\n'
            f'\n[[library.{name}.exports]]\nglobs = ["{name}_*_api_*"]\n'
        )
        srcs = " ".join(sources)
        cmake_visgen.append(f"visgen_add_library({name} SOURCES {srcs} VARIANTS shared)\n")
        cmake_plain.append(
            f"add_library({name} SHARED {srcs})\n"
            f"target_include_directories({name} PUBLIC include)\n"
            f"set_target_properties({name} PROPERTIES C_VISIBILITY_PRESET hidden)\n"
        )
    _write(with_visgen / "visgen.toml", "".join(manifest))
    _write(with_visgen / "CMakeLists.txt", "".join(cmake_visgen))
    _write(plain / "CMakeLists.txt", "".join(cmake_plain))
    return with_visgen, plain


def timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed, proc.stdout


def snapshot(root: Path) -> Path:
    """A copy of the checkout's package, module and templates: the builds depend on the
    generator's files, so an edit in the working tree during a run must not dirty them."""
    for part in ("cmake", "visgen", "templates"):
        shutil.copytree(ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    return root / "cmake"


def measure(
    cmake: str, module: Path, source: Path, build: Path, jobs: int, *, check: bool
) -> dict[str, float]:
    """Fresh configure, re-configure, build and no-op build of one project (seconds)."""
    shutil.rmtree(build, ignore_errors=True)
    configure = [
        cmake,
        "-S",
        str(source),
        "-B",
        str(build),
        "-G",
        "Ninja",
        f"-DCMAKE_PREFIX_PATH={module}",
        f"-DPython_EXECUTABLE={sys.executable}",
        f"-DVISGEN_CHECK={'ON' if check else 'OFF'}",
    ]
    times = {"configure": timed(configure)[0], "reconfigure": timed(configure)[0]}
    times["build"] = timed([cmake, "--build", str(build), "-j", str(jobs)])[0]
    noop, out = timed([cmake, "--build", str(build), "-j", str(jobs)])
    if "no work to do" not in out:
        sys.exit(f"the no-op build of {source.name} did work:\n{out}")
    times["no-op build"] = noop
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--libs", type=int, default=20, help="libraries per project")
    parser.add_argument("--runs", type=int, default=3, help="runs per project (median)")
    parser.add_argument("--cmake", default=shutil.which("cmake") or "cmake", help="cmake")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="build jobs")
    parser.add_argument(
        "--no-check", action="store_true", help="VISGEN_CHECK=OFF (no post-link check)"
    )
    args = parser.parse_args(argv)
    if shutil.which("ninja") is None:
        sys.exit("needs ninja")
    version = subprocess.run([args.cmake, "--version"], capture_output=True, text=True, check=True)
    print(f"{version.stdout.splitlines()[0]}, Ninja, {args.libs} libraries, {args.runs} runs, ")
    print(f"-j{args.jobs}, post-link check {'off' if args.no_check else 'on'}")
    with tempfile.TemporaryDirectory(prefix="visgen-bench-cmake-") as tmp:
        root = Path(tmp)
        module = snapshot(root / "checkout")
        projects = dict(zip(("visgen", "plain"), make_projects(root, args.libs), strict=True))
        samples: dict[str, dict[str, list[float]]] = {p: {} for p in projects}
        for _ in range(args.runs):
            for kind, source in projects.items():
                build = root / f"build-{kind}"
                times = measure(
                    args.cmake, module, source, build, args.jobs, check=not args.no_check
                )
                for step, seconds in times.items():
                    samples[kind].setdefault(step, []).append(seconds)
    print(f"\n{'step':<14}{'visgen':>10}{'plain':>10}{'ratio':>8}{'added':>10}")
    for step in samples["plain"]:
        with_visgen = statistics.median(samples["visgen"][step])
        plain = statistics.median(samples["plain"][step])
        print(
            f"{step:<14}{with_visgen:>9.3f}s{plain:>9.3f}s{with_visgen / plain:>7.2f}x"
            f"{with_visgen - plain:>+9.3f}s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
