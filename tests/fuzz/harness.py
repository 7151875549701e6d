"""The properties the fuzz tests, the corpus replay and ``bench/fuzz_*.py`` check.

Each ``check_*`` function returns an outcome label for a legitimate result and raises
:class:`PropertyError` (or lets an unexpected exception through) for a bug.

- :func:`check_manifest_bytes`: the loader either accepts the text or raises
  ``ManifestError`` whose message names the file; ``visgen lint`` on it exits 0, 1 or 2;
  an accepted manifest renders every file for linux, macos and windows, or raises
  ``GenerationError`` with a message (a pattern a format cannot hold without objects).
- :func:`link_sample`: for a manifest of :func:`~fuzz.strategies.valid_manifests`, the
  version scripts (with and without ``--objects``) link a tiny object with each linker
  present, under ``--no-undefined-version``, and the DSO exports exactly the declared
  names.
- :func:`check_elf_bytes`: ``read_symbols`` (with and without ``.symtab``),
  ``read_dynamic`` and ``read_archive`` either succeed or raise ``BinaryError``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import shutil
import subprocess
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from visgen.cli import main
from visgen.errors import BinaryError, GenerationError, ManifestError
from visgen.manifest import read_manifest

if TYPE_CHECKING:
    from visgen.model import Library, Platform
    from visgen.resolve import Resolution

__all__ = [
    "LINKERS",
    "PropertyError",
    "available_linkers",
    "check_elf_bytes",
    "check_manifest_bytes",
    "crash_signature",
    "link_sample",
]

LINKERS = ("bfd", "lld", "gold", "mold")
PLATFORMS: tuple[Platform, ...] = ("linux", "macos", "windows")


class PropertyError(AssertionError):
    """A property does not hold."""


def _lint_status(path: Path) -> int:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["lint", str(path)])
    if status not in (0, 1, 2):
        msg = f"visgen lint exited {status}"
        raise PropertyError(msg)
    if status == 2 and not err.getvalue().strip():
        msg = "visgen lint exited 2 without a message"
        raise PropertyError(msg)
    return status


def check_manifest_bytes(data: bytes, workdir: Path, *, lint: bool = True) -> str:
    """One manifest text through the loader and every generator.

    Outcomes: ``rejected`` (ManifestError), ``findings`` (loads, lint errors),
    ``generated`` (every file rendered), ``generation-error`` (some platform needs objects).
    """
    from visgen.render import plan_library, render_artifacts

    path = workdir / "visgen.toml"
    path.write_bytes(data)
    status = _lint_status(path) if lint else None
    try:
        manifest, findings = read_manifest(path)
    except ManifestError as exc:
        text = str(exc)
        if not text.strip() or str(path) not in text:
            msg = f"ManifestError without the file name: {text!r}"
            raise PropertyError(msg) from exc
        if status not in (None, 2):
            msg = f"read_manifest rejects the file, but visgen lint exited {status}"
            raise PropertyError(msg) from exc
        return "rejected"
    if any(f.severity == "error" for f in findings):
        if status not in (None, 1):
            msg = f"lint findings, but visgen lint exited {status}"
            raise PropertyError(msg)
        return "findings"
    if status not in (None, 0):
        msg = f"clean manifest, but visgen lint exited {status}"
        raise PropertyError(msg)
    outcome = "generated"
    for library in manifest.libraries:
        for platform in PLATFORMS:
            try:
                plan = plan_library(library, platform, library.variants)
                render_artifacts(plan.artifacts, workdir / "out" / platform)
            except GenerationError as exc:
                if not str(exc).strip():
                    msg = "GenerationError without a message"
                    raise PropertyError(msg) from exc
                outcome = "generation-error"
    return outcome


# -- the linker sample -------------------------------------------------------------------------


def available_linkers() -> list[str]:
    if shutil.which("gcc") is None:
        return []
    return [ld for ld in LINKERS if shutil.which(f"ld.{ld}") or shutil.which(ld)]


def _run(cmd: list[str], cwd: Path) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        msg = f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
        raise PropertyError(msg)
    return proc.stdout


def _object_source(library: Library) -> tuple[str, set[str]]:
    """C source defining every exact name, one hit per glob, and the definable C++ names.

    Returns the source and the linkage names the manifest exports (without init/destroy).
    """
    from fuzz.strategies import CXX_DEFINABLE

    lines: list[str] = []
    exported: set[str] = set()
    defined: list[tuple[str, bool]] = []
    for group in library.groups_for("linux"):
        for entry in group.entries:
            if entry.kind == "cxx":
                if entry.text in CXX_DEFINABLE:
                    defined.append((CXX_DEFINABLE[entry.text], False))
                    exported.add(CXX_DEFINABLE[entry.text])
                elif entry.text == "fz::Widget::*":
                    for mangled in ("_ZN2fz6Widget3runEv", "_ZN2fz6Widget4stopEPKc"):
                        defined.append((mangled, False))
                        exported.add(mangled)
            elif entry.is_pattern:
                hit = entry.text.rstrip("*") + "_hit"
                defined.append((hit, False))
                exported.add(hit)
            else:
                defined.append((entry.text, entry.kind == "data"))
                exported.add(entry.text)
    defined.append(("zz_visgen_fuzz_private", False))
    for i, (name, is_data) in enumerate(dict.fromkeys(defined)):
        if is_data:
            lines.append(f'int fz_d{i} __asm__("{name}") = {i};')
        else:
            lines.append(f'void fz_f{i}(void) __asm__("{name}");\nvoid fz_f{i}(void) {{}}')
    return "\n".join(lines) + "\n", exported


def _exports(dso: Path) -> set[str]:
    out = subprocess.run(
        ["nm", "-D", "--defined-only", "--format=posix", str(dso)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = set()
    for line in out.splitlines():
        name = line.split(" ", 1)[0].split("@", 1)[0]
        if name and not fnmatch.fnmatchcase(line.split(" ")[1], "[aA]"):
            names.add(name)
    return names


def link_sample(toml_text: str, workdir: Path, linkers: list[str]) -> int:
    """Link every DSO variant of a valid manifest with each linker; return the link count."""
    from visgen.manifest import load_manifest
    from visgen.render import linker_file_name, plan_library, render_artifacts
    from visgen.resolve import nm_defined_symbols, resolve

    path = workdir / "visgen.toml"
    path.write_text(toml_text, encoding="utf-8")
    manifest = load_manifest(path)
    (library,) = manifest.libraries
    source, exported = _object_source(library)
    (workdir / "obj.c").write_text(source, encoding="utf-8")
    _run(["gcc", "-c", "-fPIC", "-O0", "obj.c", "-o", "obj.o"], workdir)
    reg = library.registration
    defined = nm_defined_symbols([workdir / "obj.o"], None, "linux")
    modes: list[tuple[str, Resolution | None]] = [
        ("objects", resolve(library, "linux", defined, exclude=(reg.init, reg.destroy)))
    ]
    with contextlib.suppress(GenerationError):  # some manifests need objects
        plan_library(library, "linux", library.variants)
        modes.append(("names", None))
    links = 0
    for mode, resolution in modes:
        out = workdir / mode
        plan = plan_library(library, "linux", library.variants, resolution)
        render_artifacts(plan.artifacts, out)
        reg_objects: list[str] = []
        reg_src = next((a.path for a in plan.artifacts if "registration" in a.path), None)
        if reg_src is not None:
            _run(["gcc", "-c", "-fPIC", "-O0", str(out / reg_src), "-o", f"{mode}-reg.o"], workdir)
            reg_objects = [f"{mode}-reg.o"]
        for variant in library.variants:
            if variant == "static":
                continue
            script = out / linker_file_name(library, "linux", variant)
            expected = set() if variant == "registered" else set(exported)
            objs = ["obj.o"]
            if variant.endswith("registered"):
                expected |= {reg.init, reg.destroy}
                objs += reg_objects
            for ld in linkers:
                dso = workdir / f"lib-{mode}-{variant}-{ld}.so"
                _run(
                    [
                        "gcc",
                        "-shared",
                        "-nostdlib",
                        f"-fuse-ld={ld}",
                        *objs,
                        f"-Wl,--version-script={script}",
                        *(["-Wl,--no-undefined-version"] if ld != "gold" else []),
                        "-o",
                        str(dso),
                    ],
                    workdir,
                )
                got = _exports(dso)
                if got != expected:
                    msg = (
                        f"{ld}, {mode}, variant {variant}: exports differ from the manifest\n"
                        f"  missing: {sorted(expected - got)}\n  extra: {sorted(got - expected)}\n"
                        f"script:\n{script.read_text(encoding='utf-8')}"
                    )
                    raise PropertyError(msg)
                links += 1
    return links


# -- ELF ---------------------------------------------------------------------------------------


def check_elf_bytes(data: bytes, workdir: Path) -> str:
    """Every reader on one (mutated) file: ``ok`` or ``rejected`` (BinaryError only)."""
    from visgen.elf import DynamicInfo, ElfImage, read_archive, read_dynamic, read_symbols

    path = workdir / ("input.a" if data.startswith(b"!<arch>") else "input.so")
    path.write_bytes(data)
    results = []
    readers = (
        (lambda: read_archive(path))
        if data.startswith(b"!<arch>")
        else (lambda: read_symbols(path, symtab=True)),
        lambda: read_symbols(path, symtab=False),
        lambda: read_dynamic(path),
    )
    for reader in readers:
        try:
            image = reader()
            # touch the decoded data the way check and extract do
            if isinstance(image, ElfImage):
                list(image.exported())
                list(image.dynsym.symbols())
                if image.symtab is not None:
                    list(image.symtab.symbols())
            elif not isinstance(image, DynamicInfo):
                for member in image:
                    list(member.image.exported())
            results.append("ok")
        except BinaryError as exc:
            if not str(exc).strip():
                msg = "BinaryError without a message"
                raise PropertyError(msg) from exc
            results.append("rejected")
    return "ok" if all(r == "ok" for r in results) else "rejected"


def crash_signature(exc: BaseException) -> str:
    """``ExcType@file.py:line`` of the innermost visgen frame: one name per distinct crash."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = next(
        (f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames) if "visgen" in f.filename),
        "?",
    )
    return f"{type(exc).__name__}@{where}"
