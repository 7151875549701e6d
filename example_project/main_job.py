"""The main job: build asyncrt in every variant, check each, run every program, report.

Steps:

1. ``visgen lint`` the manifest, then configure and build this project with CMake (``find_package(visgen)`` is pointed at
   ``python -m visgen --cmakedir`` of the interpreter running this script);
2. run ``visgen check`` on each variant against ``visgen.toml``;
3. run ``aot_static`` and ``aot_shared`` (the ahead-of-time programs) and ``jit_host.py``
   (the JIT host, on the registered variant);
4. the TypeId demonstration, for each of its two builds (``build/typeid/copies`` and
   ``build/typeid/anchored``): load both plugins ``RTLD_LOCAL`` into a fresh Python process
   (``typeid/probe.py``) and compare the ids they see, then ``visgen audit`` the build's
   DSOs; "ok" when the audit's verdict matches what the process did, and both are what
   the build is for (copies: two ids, reported; anchored: one id, a clean audit);
5. print a report: per variant the number of exported dynamic symbols and the check's
   outcome, then the outcome of each run and of each demonstration build. Exit status 0
   only when everything passed.

Usage::

    python main_job.py [--build-dir build] [--generator Ninja] [--jit-runs 1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VARIANTS = (
    ("static", "libasyncrt.a"),
    ("shared", "libasyncrt.so"),
    ("shared-registered", "libasyncrt_shared_registered.so"),
    ("registered", "libasyncrt_registered.so"),
)

TYPEID_BUILDS = ("copies", "anchored")
TYPEID_SYMBOL = "_ZN7asyncrt6TypeIdINS_7RuntimeEE2idE"
"""``asyncrt::TypeId<asyncrt::Runtime>::id``, the identity of the demonstration."""


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


def last_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    return lines[-1] if lines else ""


def exported_count(path: Path) -> str:
    """Exported dynamic symbols (version-node markers not counted); "-" for an archive."""
    if path.suffix == ".a":
        return "-"
    from visgen.elf import read_symbols

    return str(sum(1 for s in read_symbols(path).exported() if not s.is_version_marker))


def typeid_demo(python: str, folder: Path) -> tuple[bool, str]:
    """One build of the TypeId demonstration: what the process does, what the audit says."""
    plugins = [str(folder / "plugin_a.so"), str(folder / "plugin_b.so")]
    probe = run([python, str(HERE / "typeid" / "probe.py"), *plugins], timeout=60)
    if probe.returncode != 0:
        return False, f"probe: {last_line(probe)}"
    ids: dict[str, int] = json.loads(probe.stdout)
    distinct = len(set(ids.values()))
    audit = run([python, "-m", "visgen", "audit", str(folder), "--output-format", "json"])
    if audit.returncode not in (0, 1):
        return False, f"audit: {last_line(audit)}"
    findings: list[dict[str, str]] = json.loads(audit.stdout)["findings"]
    dups = [f for f in findings if f["rule"] == "duplicate-definition"]
    # the audit's verdict: the identity's copies are reported and will not be unified
    split = any(f["symbol"] == TYPEID_SYMBOL and "not unified" in f["message"] for f in dups)
    matches = split == (distinct > 1)
    expected = (distinct == 2 and len(dups) == 1) if folder.name == "copies" else not findings
    seen = f"{distinct} address{'es' if distinct != 1 else ''}"
    if not findings:
        verdict = "audit clean"
    else:
        verdict = f"audit: {len(dups)} duplicate-definition"
        verdict += f", {'not unified' if split else 'unified'}"
        if len(findings) > len(dups):
            verdict += f", {len(findings) - len(dups)} other finding(s)"
    return matches and expected, f"{seen}, {verdict}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--build-dir", type=Path, default=HERE / "build")
    parser.add_argument("--generator", default="Ninja" if shutil.which("ninja") else None)
    parser.add_argument("--jit-runs", type=int, default=1, help="fresh JIT host processes")
    args = parser.parse_args(argv)
    build = args.build_dir.resolve()
    python = sys.executable

    lint = run([python, "-m", "visgen", "lint", str(HERE / "visgen.toml")])
    if lint.returncode != 0:
        print(lint.stdout + lint.stderr, file=sys.stderr)
        print("main_job: FAILED: visgen lint", file=sys.stderr)
        return 1
    print(f"visgen lint visgen.toml: {last_line(lint)}")

    cmakedir = run([python, "-m", "visgen", "--cmakedir"])
    if cmakedir.returncode != 0:
        print(f"main_job: `visgen --cmakedir` failed: {last_line(cmakedir)}", file=sys.stderr)
        return 1
    configure = [
        "cmake",
        "-S",
        str(HERE),
        "-B",
        str(build),
        f"-Dvisgen_DIR={cmakedir.stdout.strip()}",
        f"-DPython_EXECUTABLE={python}",
    ]
    if args.generator:
        configure += ["-G", args.generator]
    for step in (configure, ["cmake", "--build", str(build)]):
        proc = run(step)
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr, file=sys.stderr)
            print(f"main_job: FAILED: {' '.join(step[:2])} ...", file=sys.stderr)
            return 1

    ok = True
    rows: list[tuple[str, str, str, str]] = []
    for variant, name in VARIANTS:
        path = build / name
        if not path.exists():
            rows.append((variant, name, "-", "missing"))
            ok = False
            continue
        check = run(
            [
                python,
                "-m",
                "visgen",
                "check",
                str(path),
                "--manifest",
                str(HERE / "visgen.toml"),
                "--library",
                "asyncrt",
                "--variant",
                variant,
            ]
        )
        outcome = "clean" if check.returncode == 0 else f"exit {check.returncode}"
        ok = ok and check.returncode == 0
        rows.append((variant, name, exported_count(path), outcome))

    runs: list[tuple[str, bool, str]] = []
    for program in ("aot_static", "aot_shared"):
        proc = run([str(build / program)], timeout=120)
        runs.append((program, proc.returncode == 0, last_line(proc)))
    jit = [python, str(HERE / "jit_host.py"), str(build / "libasyncrt_registered.so")]
    for i in range(args.jit_runs):
        proc = run(jit, timeout=120)
        label = "jit_host" if args.jit_runs == 1 else f"jit_host #{i + 1}"
        runs.append((label, proc.returncode == 0, last_line(proc)))

    demos = [(name, *typeid_demo(python, build / "typeid" / name)) for name in TYPEID_BUILDS]

    print(f"{'variant':<18} {'file':<32} {'exports':>7}  visgen check")
    for variant, name, count, outcome in rows:
        print(f"{variant:<18} {name:<32} {count:>7}  {outcome}")
    for label, passed, line in runs:
        ok = ok and passed
        print(f"{label + ':':<14} {'ok' if passed else 'FAILED'}  ({line})")
    for name, passed, line in demos:
        ok = ok and passed
        print(f"{f'typeid demo ({name}):':<24}{'ok' if passed else 'FAILED'}  ({line})")
    print(f"main_job: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
