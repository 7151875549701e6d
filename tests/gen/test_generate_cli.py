"""``visgen generate`` as users call it: options, file names, errors, mtimes, templates."""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

import pytest

from gen._toolchain import ASYNCRT, generate, generate_ok, require

if TYPE_CHECKING:
    from pathlib import Path
from visgen.render._env import c_identifier, c_string

C_ONLY = (ASYNCRT / "visgen.toml").read_text().replace('cxx = ["asyncrt::Runtime::*"]\n', "")
EXACT = """\
schema = 1
[library.one]
variants = ["static", "shared", "shared-registered", "registered"]
[[library.one.exports]]
symbols = ["one_a", "one_b"]
data = ["one_d"]
[library.two]
variants = ["shared"]
[[library.two.exports]]
symbols = ["two_a"]
"""


@pytest.fixture
def exact(tmp_path: Path) -> Path:
    path = tmp_path / "visgen.toml"
    path.write_text(EXACT)
    return path


@pytest.mark.parametrize(
    ("platform", "ext"), [("linux", "map"), ("macos", "exp"), ("windows", "def")]
)
def test_file_names(exact: Path, tmp_path: Path, platform: str, ext: str) -> None:
    out = tmp_path / "out"
    generate_ok(exact, "--out", out, "--platform", platform)
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == sorted(
        [
            "one_export.h",
            f"one.{ext}",
            f"one_shared_registered.{ext}",
            f"one_registered.{ext}",
            "one_registration.c",
            "two_export.h",
            f"two.{ext}",
        ]
    )


def test_library_and_variant_select(exact: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate_ok(
        exact, "--out", out, "--library", "one", "--variant", "static", "--platform", "linux"
    )
    assert sorted(p.name for p in out.iterdir()) == ["one_export.h"]
    generate_ok(
        exact, "--out", out, "--library", "one", "--variant", "registered", "--platform", "linux"
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "one_export.h",
        "one_registered.map",
        "one_registration.c",
    ]


def test_unchanged_files_keep_their_mtime(exact: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate_ok(exact, "--out", out, "--platform", "windows")
    for path in out.iterdir():
        os.utime(path, (1_000, 1_000))
    generate_ok(exact, "--out", out, "--platform", "windows")
    assert {p.stat().st_mtime for p in out.iterdir()} == {1_000}
    exact.write_text(EXACT.replace('"one_b"', '"one_b", "one_c"'))
    generate_ok(exact, "--out", out, "--platform", "windows")
    changed = sorted(p.name for p in out.iterdir() if p.stat().st_mtime != 1_000)
    assert changed == ["one.def", "one_registration.c", "one_shared_registered.def"]


def test_objects_need_one_library(exact: Path, tmp_path: Path) -> None:
    obj = tmp_path / "x.o"
    obj.write_bytes(b"")
    status, err = generate(exact, "--out", tmp_path / "o", "--objects", obj)
    assert status == 2
    assert "choose one with --library" in err


@pytest.mark.toolchain
def test_objects_from_response_file(tmp_path: Path) -> None:
    require("gcc", "gcc")
    require("nm", "binutils")
    src = tmp_path / "a.c"
    src.write_text("int one_a(void) { return 1; }\nint one_b = 2;\nint one_x(void) { return 3; }\n")
    obj = tmp_path / "dir with space" / "a.o"
    obj.parent.mkdir()
    subprocess.run(["gcc", "-c", str(src), "-o", str(obj)], check=True)
    manifest = tmp_path / "visgen.toml"
    manifest.write_text(
        'schema = 1\n[library.one]\n[[library.one.exports]]\nglobs = ["one_[ab]"]\n'
    )
    rsp = tmp_path / "objects.rsp"
    rsp.write_text(f"{obj}\n\n")
    out = tmp_path / "out"
    generate_ok(manifest, "--out", out, "--platform", "windows", "--objects-from", rsp)
    assert (out / "one.def").read_text().splitlines()[-2:] == ["    one_a", "    one_b DATA"]


@pytest.mark.parametrize(
    ("platform", "variant", "needle"),
    [
        ("windows", "shared", "is a pattern a .def file cannot hold"),
        ("macos", "shared", "is a C++ name an Apple list cannot hold"),
        ("linux", "registered", "registration table lists names"),
    ],
)
def test_patterns_without_objects_are_errors(
    tmp_path: Path, platform: str, variant: str, needle: str
) -> None:
    status, err = generate(
        ASYNCRT / "visgen.toml", "--out", tmp_path, "--platform", platform, "--variant", variant
    )
    assert status == 2
    assert needle in err
    assert "visgen.toml:" in err
    assert "--objects" in err
    assert err.count("\n") == 1  # one clear line, no traceback


def test_cxx_pattern_needing_quotes(tmp_path: Path) -> None:
    manifest = tmp_path / "visgen.toml"
    manifest.write_text('schema = 1\n[library.x]\n[[library.x.exports]]\ncxx = ["x::f(int, *)"]\n')
    status, err = generate(manifest, "--out", tmp_path / "o", "--platform", "linux")
    assert status == 2
    assert "cannot hold unquoted" in err


def test_user_templates_override_by_name(tmp_path: Path) -> None:
    manifest = tmp_path / "visgen.toml"
    manifest.write_text(C_ONLY)
    mine = tmp_path / "templates"
    mine.mkdir()
    (mine / "exported_symbols.txt.j2").write_text(
        "# mine\n{% for name in symbols %}{{ name }}\n{% endfor %}"
    )
    out = tmp_path / "out"
    generate_ok(
        manifest, "--out", out, "--platform", "macos", "--variant", "shared", "--templates", mine
    )
    assert (out / "asyncrt.exp").read_text().startswith("# mine\n_asyncrtCreateToken\n")
    assert "ASYNCRT_EXPORT" in (out / "asyncrt" / "asyncrt_export.h").read_text()  # shipped


def test_broken_user_template(tmp_path: Path) -> None:
    mine = tmp_path / "templates"
    mine.mkdir()
    (mine / "export.h.j2").write_text("{{ no_such_value }}\n")
    status, err = generate(
        ASYNCRT / "visgen.toml", "--out", tmp_path / "o", "--variant", "static", "--templates", mine
    )
    assert status == 2
    assert "export.h.j2" in err
    assert "no_such_value" in err
    (mine / "export.h.j2").write_text("{% if %}\n")
    status, err = generate(
        ASYNCRT / "visgen.toml", "--out", tmp_path / "o", "--variant", "static", "--templates", mine
    )
    assert status == 2
    assert "export.h.j2:1" in err


def test_missing_object_and_nm(tmp_path: Path) -> None:
    status, err = generate(
        ASYNCRT / "visgen.toml", "--out", tmp_path, "--objects", tmp_path / "nope.o"
    )
    assert status == 2
    assert "nope.o: no such file" in err
    obj = tmp_path / "a.o"
    obj.write_bytes(b"")
    status, err = generate(
        ASYNCRT / "visgen.toml", "--out", tmp_path, "--objects", obj, "--nm", "no-such-nm-tool"
    )
    assert status == 2
    assert "--nm no-such-nm-tool" in err


def test_filters() -> None:
    assert c_string('a"b\\c\n?é') == 'a\\"b\\\\c\\012\\?\\303\\251'
    assert c_identifier("my-lib.2") == "my_lib_2"
    assert c_identifier("9lives") == "_9lives"
