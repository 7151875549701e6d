"""Time `visgen check` (whole process) against `nm -D --defined-only` on one library.

Runs both commands alternately in one invocation and prints the median wall-time ratio
and the peak RSS of each. Two manifests are measured:

(a) maintainer-size: a few hundred globs and C++ patterns that cover the library;
(b) the full manifest `visgen extract` writes (one exact name per export).

How it measures:

- visgen runs as a user runs it: the ``visgen`` console script beside this interpreter
  (``python -m visgen`` where there is none).
- Each command runs under a small launcher process (a fresh ``python -S``, about 7 MiB)
  that forks, execs the command and reaps it with ``os.wait4``. The launcher, not this
  script, is the parent: on Linux a child's ``ru_maxrss`` includes the memory of the
  process it was forked from (the pre-exec image), so a child forked from this script
  (which holds libLLVM's names and two parsed manifests, about 80 MiB) would report this
  script's size for both commands. A figure below the launcher's own size cannot be
  seen, which is no loss: a Python process is above it anyway.
- Wall time is taken inside the launcher, from fork to reap.
- visgen runs as it does once installed: pip compiles bytecode at install time, so the
  children get a private ``PYTHONPYCACHEPREFIX`` (``PYTHONDONTWRITEBYTECODE`` removed) and
  a warm-up run fills it; a private ``XDG_CACHE_HOME`` holds visgen's manifest cache,
  which the warm-up run fills too (the first, cold run is printed separately).

Usage:
    python bench/bench_check.py [LIBRARY] [--runs N]
    python bench/bench_check.py --ci      # generated 50,000-symbol library; exit 1 above ratio 3
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LIBS = (
    "/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1",
    "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
)


_LAUNCHER = """
import os, sys, time
devnull = os.open(os.devnull, os.O_WRONLY)
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(devnull, 1)
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - start
print(elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""
"""Run argv[1:] with stdout to /dev/null; print wall seconds, peak RSS (KiB), exit code."""


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run of ``cmd`` (see the module docstring)."""
    proc = subprocess.run(
        [sys.executable, "-S", "-c", _LAUNCHER, *cmd],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    try:
        elapsed, rss, code = proc.stdout.split()
    except ValueError:
        sys.exit(f"launcher failed for {' '.join(cmd)}: {proc.stderr}")
    if int(code) not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({code}): {proc.stderr}")
    return float(elapsed), int(rss)


CXX_PATTERNS = ("llvm::cl::*", "llvm::sys::fs::*", "llvm::yaml::*")
"""Namespaces a maintainer would rather name in C++ than by mangled prefix."""


def maintainer_manifest(
    library: Path, names: list[str], cxx_patterns: tuple[str, ...] = CXX_PATTERNS
) -> str:
    """What a maintainer writes: a few C++ patterns, then globs by mangled namespace/class
    prefix (most specific first, so no glob is shadowed by an earlier one), and no
    catch-all. Every entry claims at least one name; `visgen lint` accepts it."""
    import fnmatch

    sys.path.insert(0, str(ROOT))
    from visgen.demangle import demangle_many
    from visgen.elf import read_symbols
    from visgen.extract import library_name_for
    from visgen.presets import toolchain_names

    image = read_symbols(library, symtab=False)
    nodes = [v.name for v in image.nodes]
    noise = toolchain_names(image.machine) | {v.name for v in image.nodes}
    unique = sorted(set(names) - noise)
    demangled = demangle_many(n for n in unique if n.startswith("_Z"))
    cxx = [c for c in cxx_patterns if any(fnmatch.fnmatchcase(d, c) for d in demangled.values())]
    claimed = {n for n, d in demangled.items() if any(fnmatch.fnmatchcase(d, c) for c in cxx)}
    rest = [n for n in unique if n not in claimed]
    fine: collections.Counter[str] = collections.Counter(_prefix(n, 2) for n in rest)
    chosen = sorted(p for p, _ in fine.most_common(250))
    # a prefix of another chosen prefix would shadow it: leave it to the coarse globs
    chosen = [p for p in chosen if not any(q != p and q.startswith(p) for q in chosen)]
    covered = tuple(chosen)
    left = [n for n in rest if not n.startswith(covered)]
    coarse = sorted({_prefix(n, 1) for n in left} - set(chosen), key=lambda p: (-len(p), p))
    coarse = [p for p in coarse if not any(q != p and p.startswith(q) for q in chosen)]
    globs = [f"{p}*" for p in chosen] + [f"{p}*" for p in coarse]
    name = library_name_for(library)
    lines = ["schema = 1", f'[library."{name}"]', f'[[library."{name}".exports]]']
    if nodes:
        lines.append(f'node = "{nodes[0]}"')
    if cxx:
        lines.append("cxx = [" + ", ".join(f'"{c}"' for c in cxx) + "]")
    lines.append("globs = [\n" + "".join(f'  "{g}",\n' for g in globs) + "]")
    lines += [f'[library."{name}".check]', 'vague = "off"']
    return "\n".join(lines) + "\n"


def _prefix(name: str, levels: int) -> str:
    """`_ZN4llvm3foo` for `_ZN4llvm3foo3barEv` (levels=2): up to `levels` source names
    after the `_ZN`/`_ZNK`/`_ZTV`... head; the first four characters of a C name."""
    for head in ("_ZNK", "_ZN", "_ZTVN", "_ZTIN", "_ZTSN", "_Z"):
        if name.startswith(head):
            i = len(head)
            for _ in range(levels):
                j = i
                while j < len(name) and name[j].isdigit():
                    j += 1
                if j == i:
                    break
                i = j + int(name[i:j])
            return name[: min(i, len(name))]
    return name[:4]


def nm_names(library: Path) -> list[str]:
    out = subprocess.run(
        ["nm", "-D", "--defined-only", str(library)], capture_output=True, text=True, check=True
    ).stdout
    return [line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()]


def child_env(tmp: Path) -> dict[str, str]:
    """The environment of the measured visgen runs (see the module docstring)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("VISGEN_NO_CACHE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    env["XDG_CACHE_HOME"] = str(tmp / "cache")
    return env


def visgen_command() -> list[str]:
    """How a user runs visgen: the ``visgen`` console script installed beside this
    interpreter (pip's launcher: ``from visgen.cli import main``), else ``python -m
    visgen``, which also pays for :mod:`runpy` (5-6 ms)."""
    script = Path(sys.executable).with_name("visgen")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "visgen"]


def measure(
    library: Path, manifest: Path, runs: int, env: dict[str, str]
) -> tuple[float, float, int, int]:
    """Median ratio, the cold first run's ratio, and the peak RSS (KiB) of visgen and nm."""
    visgen = [*visgen_command(), "check", str(library), "--manifest", str(manifest)]
    nm = ["nm", "-D", "--defined-only", str(library)]
    run(nm, env)  # warm the page cache
    cold, _ = run(visgen, env)  # fills the bytecode and manifest caches
    cold_ratio = cold / run(nm, env)[0]
    ratios: list[float] = []
    peak_v = peak_n = 0
    for _ in range(runs):
        tv, mv = run(visgen, env)
        tn, mn = run(nm, env)
        ratios.append(tv / tn)
        peak_v, peak_n = max(peak_v, mv), max(peak_n, mn)
    return statistics.median(ratios), cold_ratio, peak_v, peak_n


def floor_ratio(library: Path, runs: int, env: dict[str, str]) -> float:
    """The ratio of ``visgen --version`` (interpreter and CLI start-up, no
    work) to nm: what no change to the checker itself can go below."""
    bare = [*visgen_command(), "--version"]
    nm = ["nm", "-D", "--defined-only", str(library)]
    run(bare, env)
    return statistics.median([run(bare, env)[0] / run(nm, env)[0] for _ in range(runs)])


def generated_library(tmp: Path, count: int = 50_000) -> Path:
    cc = shutil.which("gcc") or shutil.which("cc") or shutil.which("clang")
    if cc is None:
        sys.exit("--ci needs a C compiler (gcc, cc or clang)")
    asm = tmp / "gen.s"
    with asm.open("w") as fh:
        fh.write(".text\n")
        for i in range(count):
            ns = i % 97
            fh.write(f".globl _ZN3gen2n{ns:02d}4fn{i:05d}Ev\n_ZN3gen2n{ns:02d}4fn{i:05d}Ev:\nret\n")
    lib = tmp / "libgen.so"
    subprocess.run([cc, "-shared", "-nostdlib", "-o", str(lib), str(asm)], check=True)
    return lib


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--ci", action="store_true")
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    if shutil.which("nm") is None:
        sys.exit("nm (binutils) is needed as the baseline")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if args.ci:
            library = generated_library(tmp)
        else:
            library = args.library or next(
                (Path(p) for p in DEFAULT_LIBS if Path(p).exists()), None
            )
            if library is None:
                sys.exit("no library given and none of the defaults exist")
        names = nm_names(library)
        small = tmp / "maintainer.toml"
        small.write_text(maintainer_manifest(library, names))
        # the same without C++ patterns: what demangling costs (informative, no target)
        plain = tmp / "maintainer-globs.toml"
        plain.write_text(maintainer_manifest(library, names, ()))
        sys.path.insert(0, str(ROOT))
        from visgen.extract import extract_manifest

        full = tmp / "extracted.toml"
        full.write_text(extract_manifest(library))
        print(f"library: {library} ({len(names)} exported names)")
        print(f"visgen runs as: {' '.join(visgen_command())}")
        env = child_env(tmp)
        floor = floor_ratio(library, args.runs, env)
        print(f"{'floor':16s} median ratio {floor:.2f} (`visgen --version`: start-up only)")
        worst = 0.0
        for label, manifest, target in (
            ("(a) maintainer", small, 1.2),
            ("(a') no C++", plain, None),
            ("(b) extracted", full, 2.0),
        ):
            ratio, cold, peak_v, peak_n = measure(library, manifest, args.runs, env)
            aim = f"target <= {target}" if target is not None else "globs only, no target"
            if target is not None:
                worst = max(worst, ratio)
            print(
                f"{label:16s} median ratio {ratio:.2f} ({aim}; cold run {cold:.2f}); "
                f"peak RSS visgen {peak_v / 1024:.1f} MiB (target <= 32), nm {peak_n / 1024:.1f} MiB"
            )
        if args.ci and worst > 3.0:
            print(f"FAIL: ratio {worst:.2f} above 3")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
