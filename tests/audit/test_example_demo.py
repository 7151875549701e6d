"""example_project's TypeId demonstration, built with its own CMakeLists.txt, every order.

The main job shows one load order per build (tests/runtime/test_example_project.py checks
its report). Here the two builds of ``example_project/typeid`` are checked the way
``test_audit.py`` checks its scenarios: the audit's verdict on the identity must match what
fresh processes see for every load order of the plugins (each alone, both in either
order), and each build has the symbols it is meant to have.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from visgen.audit import Audit, analyze
from visgen.elf import read_symbols

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "example_project"
PROBE = EXAMPLE / "typeid" / "probe.py"
IDENTITY = "_ZN7asyncrt6TypeIdINS_7RuntimeEE2idE"
PLUGINS = ("plugin_a.so", "plugin_b.so")
TARGETS = [f"typeid_{b}_{p}" for b in ("copies", "anchored") for p in ("plugin_a", "plugin_b")]

pytestmark = [
    pytest.mark.cmake,
    pytest.mark.toolchain,
    pytest.mark.skipif(sys.platform != "linux", reason="the demonstration is for ELF and glibc"),
    pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not on PATH"),
    pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not on PATH"),
]


def _run(cmd: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd)}:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def typeid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Only the demonstration's targets of example_project, built; its typeid/ folder."""
    build = tmp_path_factory.mktemp("example-typeid") / "build"
    cmakedir = _run([sys.executable, "-m", "visgen", "--cmakedir"]).strip()
    configure = ["cmake", "-S", str(EXAMPLE), "-B", str(build), f"-Dvisgen_DIR={cmakedir}"]
    if shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    _run(configure)
    _run(["cmake", "--build", str(build), "--target", *TARGETS])
    return build / "typeid"


def _probe(folder: Path, order: tuple[str, ...]) -> dict[str, int]:
    ids: dict[str, int] = json.loads(
        _run([sys.executable, "-I", "-S", str(PROBE), *(str(folder / n) for n in order)])
    )
    return ids


def _orders() -> list[tuple[str, ...]]:
    return [(p,) for p in PLUGINS] + list(itertools.permutations(PLUGINS, 2))


def _verify(folder: Path) -> tuple[Audit, bool]:
    """The audit's verdict on the identity matches every load order; True if it splits."""
    report = analyze([folder])
    (graph,) = report.graphs
    assert sorted(graph.short[r] for r in graph.roots) == sorted(PLUGINS)
    split = [order for order in _orders() if len(set(_probe(folder, order).values())) > 1]
    dup = next((d for d in report.duplicates if d.name == IDENTITY), None)
    predicted = dup is not None and not dup.verdict.unified
    assert predicted == bool(split), (split, dup)
    # a plugin alone sees one id, of course; two loaded together are where it splits
    assert all(len(order) == 2 for order in split)
    return report, bool(split)


def test_copies_two_ids_and_the_audit_names_the_identity(typeid: Path) -> None:
    folder = typeid / "copies"
    assert sorted(p.name for p in folder.iterdir()) == list(PLUGINS)
    for name in PLUGINS:
        # hidden: the copy is local, and the plugin exports its C entry point only
        syms = read_symbols(folder / name)
        assert [s.name for s in syms.exported()] == [f"{name.removesuffix('.so')}_id"]
    report, split = _verify(folder)
    assert split
    assert [(f.rule, f.symbol, f.severity) for f in report.findings] == [
        ("duplicate-definition", IDENTITY, "warning")
    ]
    (finding,) = report.findings
    assert "asyncrt::TypeId<asyncrt::Runtime>::id" in finding.message
    assert "plugin_a.so (hidden) and plugin_b.so (hidden)" in finding.message
    assert "hidden copies are never unified" in finding.message
    assert "anchor it in one shared library" in (finding.hint or "")


def test_anchored_one_id_and_a_clean_audit(typeid: Path) -> None:
    folder = typeid / "anchored"
    assert sorted(p.name for p in folder.iterdir()) == ["libasyncrt_ids.so", *PLUGINS]
    # the anchor's only export is the identity, a strong definition; the plugins import it
    anchor = read_symbols(folder / "libasyncrt_ids.so").exported()
    assert [(s.name, s.binding) for s in anchor if not s.is_version_marker] == [
        (IDENTITY, "STB_GLOBAL")
    ]
    for order in _orders():
        assert len(set(_probe(folder, order).values())) == 1, order
    report, split = _verify(folder)
    assert not split
    assert report.findings == []
    assert report.duplicates == []
