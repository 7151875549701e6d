"""visgen.build without pip: settings, file classification, the wheel check, the hooks.

Fast: no build environment. The wheel-check test compiles two tiny DSOs with ``cc`` and
zips them into a wheel, so that the per-file checks and ``visgen audit`` both have
something to find.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import visgen.build as backend
from visgen.manifest import load_manifest

if TYPE_CHECKING:
    from visgen.model import Manifest

MANIFEST = """schema = 1
[library.dup]
[[library.dup.exports]]
symbols = ["dup_api"]
"""


def _project(tmp_path: Path, pyproject: str, *, visgen_toml: bool = False) -> Path:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    if visgen_toml:
        (tmp_path / "visgen.toml").write_text(MANIFEST)
    return tmp_path


# -- settings ------------------------------------------------------------------------------


def test_defaults_without_any_table(tmp_path: Path) -> None:
    config = backend.read_config(_project(tmp_path, "[project]\nname = 'x'\n"), None)
    assert config.manifest is None
    assert config.check == "error"
    assert config.forwarded == {}


def test_manifest_default_is_visgen_toml(tmp_path: Path) -> None:
    config = backend.read_config(_project(tmp_path, "", visgen_toml=True), None)
    assert str(config.manifest) == "visgen.toml"


def test_manifest_default_is_pyproject_when_it_holds_the_tables(tmp_path: Path) -> None:
    text = (
        "[tool.visgen]\nschema = 1\n[tool.visgen.library.a]\n[tool.visgen.build]\ncheck = 'warn'\n"
    )
    config = backend.read_config(_project(tmp_path, text, visgen_toml=True), None)
    assert str(config.manifest) == "pyproject.toml"
    assert config.check == "warn"


def test_warn_and_off_turn_the_post_link_checks_off(tmp_path: Path) -> None:
    project = _project(tmp_path, "[tool.visgen.build]\ncheck = 'off'\n")
    config = backend.read_config(project, {"cmake.build-type": "Debug"})
    assert config.forwarded == {"cmake.build-type": "Debug", "cmake.define.VISGEN_CHECK": "OFF"}
    kept = backend.read_config(project, {"cmake.define.VISGEN_CHECK": "ON"})
    assert kept.forwarded == {"cmake.define.VISGEN_CHECK": "ON"}


def test_config_setting_overrides_check_and_is_not_forwarded(tmp_path: Path) -> None:
    project = _project(tmp_path, "[tool.visgen.build]\ncheck = 'error'\n")
    config = backend.read_config(project, {"visgen.check": "warn", "build.verbose": "true"})
    assert config.check == "warn"
    assert "visgen.check" not in config.forwarded
    assert config.forwarded["build.verbose"] == "true"


@pytest.mark.parametrize(
    ("pyproject", "settings", "message"),
    [
        ("[tool.visgen.build]\nchek = 'warn'\n", None, "`tool.visgen.build.chek` is not a setting (did you mean `check`?)"),
        ("[tool.visgen.build]\ncheck = 'fatal'\n", None, "`tool.visgen.build.check` must be one of error, warn, off, not 'fatal'"),
        ("[tool.visgen.build]\nmanifest = 'nope.toml'\n", None, "names 'nope.toml', which is not a file"),
        ("", {"visgen.chek": "warn"}, "config setting `visgen.chek` is not one of visgen's (did you mean `check`?)"),
        ("", {"visgen.check": "loud"}, "config setting `visgen.check` must be one of error, warn, off"),
        ("[tool.visgen]\nbuild = 1\n", None, "`tool.visgen.build` must be a table"),
    ],
)  # fmt: skip
def test_bad_settings_are_named(
    tmp_path: Path, pyproject: str, settings: dict[str, str] | None, message: str
) -> None:
    with pytest.raises(backend.BuildConfigError) as info:
        backend.read_config(_project(tmp_path, pyproject), settings)
    assert message in str(info.value)
    assert "pyproject.toml" in str(info.value) or "config setting" in str(info.value)


# -- classification ------------------------------------------------------------------------


@pytest.fixture
def asyncrt() -> Manifest:
    return load_manifest(Path(__file__).parents[2] / "example_project" / "visgen.toml")


@pytest.mark.parametrize(
    ("member", "library", "variant", "module"),
    [
        ("pkg/libasyncrt.so", "asyncrt", "shared", None),
        ("pkg/libasyncrt.so.1.2", "asyncrt", "shared", None),
        ("pkg.libs/libasyncrt_shared_registered.so", "asyncrt", "shared-registered", None),
        ("libasyncrt_registered.so", "asyncrt", "registered", None),
        ("pkg/lib/libasyncrt.a", "asyncrt", "static", None),
        ("pkg/_core.cpython-311-x86_64-linux-gnu.so", None, None, "_core"),
        ("pkg/_core.abi3.so", None, None, "_core"),
        ("pkg/_core.pypy310-pp73-x86_64-linux-gnu.so", None, None, "_core"),
        ("pkg/plain.so", None, None, "plain"),
        ("pkg/libother.so", None, None, None),
        ("pkg/libasyncrtx.so", None, None, None),
        ("pkg.data/scripts/tool", None, None, None),
    ],
)
def test_classify(
    asyncrt: Manifest, member: str, library: str | None, variant: str | None, module: str | None
) -> None:
    target = backend.classify(member, asyncrt)
    assert (target.library.name if target.library else None) == library
    assert target.variant == variant
    assert target.module == module


# -- the hooks -----------------------------------------------------------------------------


def test_every_other_hook_is_scikit_build_cores() -> None:
    import scikit_build_core.build as skbuild

    assert backend.__all__ == list(skbuild.__all__)
    assert {"build_wheel", "build_editable", "build_sdist"} <= set(backend.__all__)
    for name in backend.__all__:
        ours, theirs = getattr(backend, name), getattr(skbuild, name)
        if name in ("build_wheel", "build_editable"):
            assert ours is not theirs
        else:
            assert ours is theirs, name


# -- the wheel check, with audit -----------------------------------------------------------


def _cc(tmp_path: Path, name: str, source: str, *args: str) -> Path:
    src = tmp_path / f"{name}.c"
    src.write_text(source)
    out = tmp_path / name
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(out), str(src), *args], check=True)
    return out


@pytest.mark.toolchain
def test_check_wheel_runs_the_checks_and_audit(tmp_path: Path) -> None:
    if shutil.which("cc") is None:
        pytest.skip("needs a C compiler")
    (tmp_path / "visgen.toml").write_text(MANIFEST)
    manifest = load_manifest(tmp_path / "visgen.toml")
    lib = _cc(tmp_path, "libdup.so", "int dup_api(void) { return 1; }\n")
    # the module carries its own exported copy of the library's function
    ext = _cc(
        tmp_path,
        "_mod.cpython-311-x86_64-linux-gnu.so",
        "int dup_api(void) { return 2; }\nvoid *PyInit__mod(void) { return 0; }\n",
    )
    wheel = tmp_path / "pkg-1.0-cp311-cp311-linux_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(lib, "pkg/libdup.so")
        zf.write(ext, "pkg/_mod.cpython-311-x86_64-linux-gnu.so")
        zf.writestr("pkg/__init__.py", "")
    report = backend.check_wheel(wheel, manifest)
    assert [(t.member, t.describe()) for t in report.targets] == [
        ("pkg/_mod.cpython-311-x86_64-linux-gnu.so", "Python extension module '_mod' (python-extension policy)"),
        ("pkg/libdup.so", "library 'dup', variant shared"),
    ]  # fmt: skip
    assert report.audited
    got = {(f.rule, f.symbol, f.binary) for f in report.findings}
    ext_name = f"{wheel.name}/pkg/_mod.cpython-311-x86_64-linux-gnu.so"
    assert ("unexpected-export", "dup_api", ext_name) in got
    assert any(rule == "duplicate-definition" and sym == "dup_api" for rule, sym, _ in got)
    assert report.errors >= 2
