"""Golden files: the exact text of every generated file, pinned in ``ref/<case>/``.

Regenerate after an intended change with ``VISGEN_UPDATE_REFS=1 pytest tests/gen/test_golden.py``
and review the diff. No toolchain needed: resolutions are built from hand-written
``{name: nm type}`` tables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gen._toolchain import ASYNCRT
from visgen.manifest import read_manifest
from visgen.render import plan_library
from visgen.render._env import render_template
from visgen.resolve import resolve

if TYPE_CHECKING:
    from visgen.model import Library, Platform, Variant

REF = Path(__file__).parent / "ref"
ALL: list[Variant] = ["static", "shared", "shared-registered", "registered"]

# what `nm -P -g --defined-only` would list for the asyncrt objects (plus noise)
DEFINED = {
    "asyncrtCreateToken": "T",
    "asyncrtInitCount": "T",
    "asyncrtRuntimeStart": "T",
    "asyncrtRuntimeStop": "T",
    "asyncrtCancel": "T",
    "asyncrtOld": "T",
    "asyncrtTrace": "T",
    "asyncrt_version": "D",
    "asyncrt_internal": "T",
    "asyncrt_startup": "T",
    "asyncrt_shutdown": "T",
    "_ZN7asyncrt7Runtime5startEv": "T",
    "_ZN7asyncrt7Runtime4stopEv": "T",
}

MIXED = """\
schema = 1
[library.mixed]
variants = ["shared", "shared-registered"]
[[library.mixed.exports]]
symbols = ["mixed_plain"]
[[library.mixed.exports]]
node = "MIXED_2"
symbols = ["mixed_two"]
cxx = ["mixed::Thing::run(int)", "mixed::detail::*"]
optional = ["mixed_maybe"]
[[library.mixed.exports]]
node = "MIXED_3"
inherits = "MIXED_2"
globs = ["mixed_v3_*"]
platforms = ["linux"]
"""

PLAIN = """\
schema = 1
[library.plain]
macro-prefix = "PLAIN_API"
header = "include/plain/api.h"
variants = ["static", "shared", "registered"]
[library.plain.registration]
init = "plain_init"
destroy = "plain_fini"
[[library.plain.exports]]
symbols = ["plain_open", "plain_close", "_ZN5plain4openEv"]
data = ["plain_errno"]
"""


def _library(text: str | None, tmp_path: Path) -> Library:
    if text is None:
        path = ASYNCRT / "visgen.toml"
    else:
        path = tmp_path / "visgen.toml"
        path.write_text(text)
    manifest, _ = read_manifest(path)
    return manifest.libraries[0]


def _render(
    library: Library,
    platform: Platform,
    variants: list[Variant],
    defined: dict[str, str] | None,
) -> dict[str, str]:
    resolution = None
    if defined is not None:
        reg = library.registration
        resolution = resolve(library, platform, defined, exclude=(reg.init, reg.destroy))
    plan = plan_library(library, platform, variants, resolution)
    return {art.path: render_template(art.template, art.context) for art in plan.artifacts}


CASES: dict[str, tuple[str | None, Platform, list[Variant], dict[str, str] | None]] = {
    "asyncrt-linux-patterns": (None, "linux", ["shared"], None),
    "asyncrt-linux-resolved": (None, "linux", ALL, DEFINED),
    "asyncrt-macos-resolved": (None, "macos", ALL, DEFINED),
    "asyncrt-windows-resolved": (None, "windows", ALL, DEFINED),
    "mixed-linux": (MIXED, "linux", ["shared"], None),
    "plain-linux": (PLAIN, "linux", ["static", "shared", "registered"], None),
    "plain-macos": (PLAIN, "macos", ["shared"], None),
    "plain-windows": (PLAIN, "windows", ["shared", "registered"], None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_golden(case: str, tmp_path: Path) -> None:
    text, platform, variants, defined = CASES[case]
    files = _render(_library(text, tmp_path), platform, variants, defined)
    folder = REF / case
    if os.environ.get("VISGEN_UPDATE_REFS") == "1":
        for rel, content in files.items():
            target = folder / f"{rel}.ref"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8", newline="\n")
    expected = {
        p.relative_to(folder).as_posix()[: -len(".ref")]: p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*.ref"))
    }
    assert sorted(files) == sorted(expected)
    for rel, content in files.items():
        assert content == expected[rel], f"{case}/{rel} differs from its .ref"


def test_deterministic(tmp_path: Path) -> None:
    """Same input, same bytes: no paths, no timestamps, no set-order effects."""
    library = _library(None, tmp_path)
    first = _render(library, "windows", ALL, DEFINED)
    second = _render(library, "windows", ALL, dict(reversed(DEFINED.items())))
    assert first == second
    for content in first.values():
        assert str(ASYNCRT) not in content
        assert str(tmp_path) not in content
