"""The main job: build example_project/ in every variant, check each, run it, report.

Run through ``scripts/main.sh`` (which installs what is needed). Steps:

1. ``visgen lint`` on the example's manifest;
2. configure and build the example with CMake (visgen found with ``--cmakedir``), which
   generates the export files, links every variant and checks each after its link;
3. ``visgen check`` again on each variant, and a count of its exported symbols;
4. the ahead-of-time programs (static and shared) and the Python JIT host.

Prints a short report and exits 0 only when every step passed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example_project"
VARIANTS = {
    "static": "libasyncrt.a",
    "shared": "libasyncrt.so",
    "shared-registered": "libasyncrt_shared_registered.so",
    "registered": "libasyncrt_registered.so",
}


@dataclass
class Step:
    name: str
    ok: bool
    detail: str


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)  # type: ignore[call-overload,no-any-return]


def visgen(*args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "visgen", *args])


def count_exports(path: Path) -> int:
    """Exported dynamic symbols (a static archive exports none: SPEC section 3)."""
    if path.suffix == ".a":
        return 0
    from visgen.elf import read_symbols

    image = read_symbols(path, symtab=False)
    return sum(1 for sym in image.exported() if not sym.is_version_marker)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=EXAMPLE / "build")
    parser.add_argument("--fresh", action="store_true", help="delete the build folder first")
    args = parser.parse_args(argv)
    build: Path = args.build_dir
    if args.fresh and build.exists():
        shutil.rmtree(build)
    steps: list[Step] = []
    manifest = EXAMPLE / "visgen.toml"

    lint = visgen("lint", str(manifest))
    steps.append(
        Step(
            "lint",
            lint.returncode == 0,
            lint.stdout.strip().splitlines()[-1] if lint.stdout else lint.stderr.strip(),
        )
    )

    cmakedir = visgen("--cmakedir").stdout.strip()
    generator = "Ninja" if shutil.which("ninja") else "Unix Makefiles"
    started = time.perf_counter()
    configure = run(
        [
            "cmake",
            "-S",
            str(EXAMPLE),
            "-B",
            str(build),
            "-G",
            generator,
            f"-DCMAKE_PREFIX_PATH={cmakedir}",
            f"-DPython_EXECUTABLE={sys.executable}",
        ]
    )
    built = configure
    if configure.returncode == 0:
        built = run(["cmake", "--build", str(build), "--parallel", str(os.cpu_count() or 2)])
    seconds = time.perf_counter() - started
    ok = configure.returncode == 0 and built.returncode == 0
    steps.append(
        Step(
            "cmake build (with post-link checks)",
            ok,
            f"{seconds:.1f} s" if ok else (built.stdout + built.stderr)[-3000:],
        )
    )

    rows = []
    for variant, filename in VARIANTS.items():
        path = build / filename
        if not path.exists():
            rows.append((variant, filename, "-", "missing"))
            steps.append(Step(f"check {variant}", False, f"{path} was not built"))
            continue
        check = visgen(
            "check",
            str(path),
            "--manifest",
            str(manifest),
            "--library",
            "asyncrt",
            "--variant",
            variant,
        )
        verdict = "clean" if check.returncode == 0 else "FINDINGS"
        rows.append((variant, filename, str(count_exports(path)), verdict))
        steps.append(
            Step(
                f"check {variant}",
                check.returncode == 0,
                check.stdout.strip().splitlines()[-1]
                if check.stdout.strip()
                else check.stderr.strip(),
            )
        )

    for program in ("aot_static", "aot_shared"):
        exe = build / program
        if not exe.exists():
            steps.append(Step(program, False, "not built"))
            continue
        proc = run([str(exe)])
        steps.append(
            Step(
                program,
                proc.returncode == 0,
                (proc.stdout.strip().splitlines() or [proc.stderr.strip()])[-1],
            )
        )

    registered = build / VARIANTS["registered"]
    jit = run(
        [sys.executable, str(EXAMPLE / "jit_host.py"), str(registered)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    steps.append(
        Step(
            "jit host (registered variant)",
            jit.returncode == 0,
            (jit.stdout.strip().splitlines() or [jit.stderr.strip()[-500:]])[-1],
        )
    )

    print("visgen main job: example_project/")
    print()
    print(f"  {'variant':<18} {'file':<34} {'exports':>7}  check")
    for variant, filename, count, verdict in rows:
        print(f"  {variant:<18} {filename:<34} {count:>7}  {verdict}")
    print()
    for step in steps:
        mark = "ok  " if step.ok else "FAIL"
        print(f"  [{mark}] {step.name}: {step.detail}")
    failed = [s for s in steps if not s.ok]
    print()
    print(f"  {len(steps) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
