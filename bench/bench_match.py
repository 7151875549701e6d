"""Time PatternIndex against a loop of fnmatch calls: the same names, the same patterns.

The names are the exported names of a large library (libLLVM-14 by default, else
libstdc++); the patterns are about 200 prefix globs of the library's own mangled
namespaces and classes, a few globs of other shapes and a few C++ patterns, in the
order a maintainer writes them (most specific first). Both sides must agree on every
name (the first entry in manifest order wins); the script fails if they do not.

Usage:
    python bench/bench_match.py [LIBRARY] [--patterns N] [--runs N]
"""

from __future__ import annotations

import argparse
import collections
import fnmatch
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_check import DEFAULT_LIBS, _prefix  # noqa: E402

from visgen.demangle import demangle_many  # noqa: E402
from visgen.elf import read_exports  # noqa: E402
from visgen.match import PatternIndex  # noqa: E402
from visgen.model import ExportEntry, Location  # noqa: E402

OTHER_GLOBS = ("*_version", "LLVM?nitialize*Target", "__*")
CXX_PATTERNS = ("llvm::cl::*", "llvm::sys::fs::*", "llvm::yaml::*")


def patterns_for(names: list[str], count: int) -> list[ExportEntry]:
    """``count`` prefix globs (most specific first, none inside an earlier one), then a
    few other globs and C++ patterns."""
    common = collections.Counter(_prefix(n, 2) for n in names)
    chosen = sorted(p for p, _ in common.most_common(count))
    chosen.sort(key=lambda p: (-len(p), p))
    texts = [(f"{p}*", "glob") for p in chosen]
    texts += [(g, "glob") for g in OTHER_GLOBS] + [(c, "cxx") for c in CXX_PATTERNS]
    loc = Location("bench.toml", 1, "library.x.exports[0]")
    return [ExportEntry(t, k, loc) for t, k in texts]  # type: ignore[arg-type]


def fnmatch_loop(entries: list[ExportEntry], names: list[str]) -> dict[str, ExportEntry]:
    """The obvious way: every name against every pattern, in order (C++ patterns against
    the demangled name, as the index does)."""
    demangled = demangle_many(n for n in names if n.startswith("_Z"))
    out: dict[str, ExportEntry] = {}
    for name in names:
        for e in entries:
            text = demangled.get(name, name) if e.kind == "cxx" else name
            if fnmatch.fnmatchcase(text, e.text):
                out[name] = e
                break
    return out


def indexed(entries: list[ExportEntry], names: list[str]) -> dict[str, ExportEntry]:
    return PatternIndex(entries).match_names(names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", nargs="?", type=Path)
    parser.add_argument("--patterns", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    library = args.library or next((Path(p) for p in DEFAULT_LIBS if Path(p).exists()), None)
    if library is None:
        sys.exit("no library given and none of the defaults exist")
    names = list(dict.fromkeys(read_exports(library).names))
    entries = patterns_for(names, args.patterns)
    print(f"{library}: {len(names)} names x {len(entries)} patterns")
    want = fnmatch_loop(entries, names)
    got = indexed(entries, names)
    if got != want:
        bad = [n for n in names if got.get(n) is not want.get(n)]
        sys.exit(f"PatternIndex and the fnmatch loop disagree on {len(bad)} names: {bad[:5]}")
    times: dict[str, list[float]] = {"fnmatch loop": [], "PatternIndex": []}
    for _ in range(args.runs):  # alternate, so both see the same machine load
        for label, fn in (("fnmatch loop", fnmatch_loop), ("PatternIndex", indexed)):
            start = time.perf_counter()
            fn(entries, names)
            times[label].append(time.perf_counter() - start)
    slow = statistics.median(times["fnmatch loop"])
    fast = statistics.median(times["PatternIndex"])
    print(f"fnmatch loop  {slow * 1000:8.1f} ms (median of {args.runs})")
    print(f"PatternIndex  {fast * 1000:8.1f} ms (index built and names matched)")
    print(f"ratio         {slow / fast:8.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
