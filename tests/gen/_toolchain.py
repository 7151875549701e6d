"""Helpers for the generator tests: find tools (or skip), run them, read their output."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from visgen.cli import main

if TYPE_CHECKING:
    from collections.abc import Sequence

DATA = Path(__file__).parent / "data"
ASYNCRT = DATA / "asyncrt"


def require(tool: str, package: str) -> str:
    """The path of ``tool``, or skip the test naming the Debian package that provides it."""
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} not found (apt-get install {package})")
    return found


def run(cmd: Sequence[str | Path], cwd: Path | None = None) -> str:
    """Run ``cmd``; fail the test with its output when it fails; return stdout."""
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def fails(cmd: Sequence[str | Path], cwd: Path | None = None) -> str:
    """Run ``cmd`` that must fail; return its stderr."""
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, check=False
    )
    if proc.returncode == 0:
        pytest.fail(f"{' '.join(map(str, cmd))} succeeded, but must fail")
    return proc.stdout + proc.stderr


def generate(*args: str | Path) -> tuple[int, str]:
    """Run ``visgen generate`` in-process: (exit status, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["generate", *map(str, args)])
    return status, err.getvalue()


def generate_ok(*args: str | Path) -> str:
    status, err = generate(*args)
    assert status == 0, err
    return err


_DYNSYM = re.compile(
    r"^\s*\d+:\s+[0-9a-f]+\s+\d+\s+(\w+)\s+(\w+)\s+(\w+)\s+(\w+)\s+(\S+)(?:\s+\[[^\]]*\])?\s*$"
)


def elf_exports(path: Path) -> dict[str, str | None]:
    """``readelf --dyn-syms -W``: defined GLOBAL/WEAK symbols -> version node (or None).

    The absolute symbols bfd and gold add for each version node are left out.
    """
    out = run(["readelf", "--dyn-syms", "-W", path])
    result: dict[str, str | None] = {}
    for line in out.splitlines():
        m = _DYNSYM.match(line)
        if not m:
            continue
        kind, bind, _vis, ndx, name = m.groups()
        if bind not in ("GLOBAL", "WEAK") or ndx == "UND":
            continue
        base, _, version = name.partition("@")
        version = version.lstrip("@") or None
        if ndx == "ABS" and kind == "OBJECT" and version in (base, None):
            continue
        result[base] = version
    return result


def elf_verdefs(path: Path) -> dict[str, tuple[str, ...]]:
    """``readelf -V``: version node -> parents (the file's base definition left out)."""
    out = run(["readelf", "-V", "-W", path])
    result: dict[str, tuple[str, ...]] = {}
    current: str | None = None
    in_defs = False
    for line in out.splitlines():
        if "Version definition section" in line:
            in_defs = True
            continue
        if "Version needs section" in line or "Version symbols section" in line:
            in_defs = False
        if not in_defs:
            continue
        m = re.search(r"Flags: (\S+)\s+Index: \d+\s+Cnt: \d+\s+Name: (\S+)", line)
        if m:
            current = None if m.group(1) == "BASE" else m.group(2)
            if current is not None:
                result[current] = ()
            continue
        m = re.search(r"Parent \d+: (\S+)", line)
        if m and current is not None:
            result[current] = (*result[current], m.group(1))
    return result


def pe_exports(objdump: str, dll: Path) -> dict[str, str]:
    """``objdump -p``: exported name -> the section its RVA lies in (``.text``, ``.data``)."""
    out = run([objdump, "-p", dll])
    image_base = int(re.search(r"^ImageBase\s+([0-9a-fA-F]+)", out, re.MULTILINE).group(1), 16)  # type: ignore[union-attr]
    rvas: dict[int, int] = {}
    names: dict[str, int] = {}
    section = ""
    for line in out.splitlines():
        if line.startswith("Export Address Table --"):
            section = "eat"
            continue
        if line.startswith("[Ordinal/Name Pointer] Table"):
            section = "names"
            continue
        if not line.strip():
            section = ""
            continue
        if section == "eat":
            m = re.match(r"\s*\[\s*(\d+)\] \+base\[\s*\d+\]\s+([0-9a-fA-F]+)", line)
            if m:
                rvas[int(m.group(1))] = int(m.group(2), 16)
        elif section == "names":
            m = re.match(r"\s*\[\s*(\d+)\] (\S+)", line)
            if m:
                names[m.group(2)] = int(m.group(1))
    sections: list[tuple[str, int, int]] = []
    headers = run([objdump, "-h", dll])
    for line in headers.splitlines():
        m = re.match(r"\s*\d+ (\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if m:
            start = int(m.group(3), 16) - image_base
            sections.append((m.group(1), start, start + int(m.group(2), 16)))
    result: dict[str, str] = {}
    for name, index in names.items():
        rva = rvas[index]
        result[name] = next((s for s, lo, hi in sections if lo <= rva < hi), "?")
    return result
