"""Build the hand-written registration library of ``rtlib.c`` in its test shapes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

SOURCE = Path(__file__).with_name("rtlib.c")

MANIFEST = """\
schema = 1

[library.rt]
variants = ["registered"]

[library.rt.registration]
on-init = "rt_startup"
on-destroy = "rt_shutdown"

[[library.rt.exports]]
node = "RT_1.0"
symbols = ["rt_add", "rt_alive", "rt_init_calls", "rt_destroy_calls", "rt_push", "rt_sum"]
globs = ["rt_pat_*"]
cxx = ["rt::Widget::*"]
data = ["rt_version"]
optional = ["rt_debug_dump"]

[[library.rt.exports]]
node = "RT_1.0"
platforms = ["windows"]
symbols = ["rt_windows_only"]
"""


@pytest.fixture(scope="session")
def build_rtlib(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``build_rtlib("OMIT_PUSH", lib="rt")`` -> path of a freshly compiled ``.so``."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not on PATH: the runtime tests compile a small C library")
    out_dir = tmp_path_factory.mktemp("rtlib")
    cache: dict[tuple[str, ...], Path] = {}

    def build(*defines: str, lib: str = "rt") -> Path:
        key = (lib, *defines)
        if key not in cache:
            stem = "_".join(key).lower()
            out = out_dir / f"lib{stem}.so"
            cmd = [gcc, "-shared", "-fPIC", "-O1", "-w", "-fvisibility=hidden", f"-DLIB={lib}"]
            cmd += [f"-D{d}" for d in defines]
            cmd += [str(SOURCE), "-o", str(out)]
            subprocess.run(cmd, check=True)
            cache[key] = out
        return cache[key]

    return build


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    path = tmp_path / "visgen.toml"
    path.write_text(MANIFEST)
    return path


@pytest.fixture
def rt_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file the library's on-init/on-destroy hooks append ``<lib> init|destroy`` to."""
    path = tmp_path / "hooks.log"
    path.touch()
    monkeypatch.setenv("RT_LOG", str(path))
    return path
