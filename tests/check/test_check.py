"""visgen check and visgen extract on the committed fixtures and on system libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from visgen.check import check_binary, is_vague_linkage, python_module_name
from visgen.extract import extract_manifest, library_name_for
from visgen.manifest import load_manifest

FIXTURES = Path(__file__).parent.parent / "elf" / "fixtures"
DEMO_MANIFEST = """\
schema = 1
[library.demo]
variants = ["shared", "static", "registered"]
[[library.demo.exports]]
node = "DEMO_1.0"
symbols = ["demo_create", "demo_destroy", "demo_no_macro", "demo_gone"]
data = ["demo_version"]
globs = ["nothing_*"]
optional = ["demo_maybe"]
[[library.demo.exports]]
node = "DEMO_1.1"
inherits = "DEMO_1.0"
symbols = ["demo_cancel"]
"""


def _lib(tmp_path: Path, text: str = DEMO_MANIFEST, name: str = "demo"):  # type: ignore[no-untyped-def]
    path = tmp_path / "visgen.toml"
    path.write_text(text)
    return load_manifest(path).library(name)


def _rules(findings: list) -> dict[str, set[str]]:  # type: ignore[type-arg]
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f.rule, set()).add(f.symbol or f.message)
    return out


def test_shared_rules(tmp_path: Path) -> None:
    findings = check_binary(FIXTURES / "libdemo.so", _lib(tmp_path))
    rules = _rules(findings)
    assert rules["unexpected-export"] == {"demo_extra"}
    assert rules["hidden-export"] == {"demo_no_macro"}
    assert rules["missing-export"] == {"demo_gone"}
    assert any("nothing_*" in m for m in rules["unmatched-entry"])
    assert "wrong-version" not in rules
    assert all(f.binary == str(FIXTURES / "libdemo.so") for f in findings)


def test_hidden_by_visibility_is_named(tmp_path: Path) -> None:
    findings = check_binary(FIXTURES / "libdemo-i386-linux-gnu.so", _lib(tmp_path))
    hidden = [f for f in findings if f.rule == "hidden-export"]
    assert hidden
    assert "STV_HIDDEN" in hidden[0].message
    assert "DEMO_EXPORT" in hidden[0].message


def test_wrong_version(tmp_path: Path) -> None:
    text = DEMO_MANIFEST.replace('symbols = ["demo_cancel"]', 'symbols = ["demo_extra"]')
    text = text.replace(
        '"demo_create", "demo_destroy"', '"demo_create", "demo_destroy", "demo_cancel"'
    )
    rules = _rules(check_binary(FIXTURES / "libdemo.so", _lib(tmp_path, text)))
    assert rules["wrong-version"] == {"demo_extra", "demo_cancel"}


ONE_NODE_MANIFEST = """\
schema = 1
[library.demo]
variants = ["shared", "shared-registered"]
[library.demo.registration]
init = "demo_cancel"
[[library.demo.exports]]
node = "DEMO_1.1"
symbols = ["demo_create", "demo_destroy", "demo_no_macro"]
[[library.demo.exports]]
node = "DEMO_1.1"
symbols = ["demo_extra"]
data = ["demo_version"]
"""


def test_wrong_version_with_one_node(tmp_path: Path) -> None:
    """Every group under one node (the path that looks only at rows of other versions)."""
    under_1_0 = {"demo_create", "demo_destroy", "demo_extra", "demo_version"}
    text = ONE_NODE_MANIFEST.replace('init = "demo_cancel"', "")
    text = text.replace('["demo_extra"]', '["demo_extra", "demo_cancel"]')
    rules = _rules(check_binary(FIXTURES / "libdemo.so", _lib(tmp_path, text)))
    assert rules["wrong-version"] == under_1_0  # demo_cancel is under DEMO_1.1
    # a registration function belongs to no group: it declares no node
    lib = _lib(tmp_path, ONE_NODE_MANIFEST)
    rules = _rules(check_binary(FIXTURES / "libdemo.so", lib, variant="shared-registered"))
    assert rules["wrong-version"] == under_1_0
    assert "demo_cancel" not in rules.get("unexpected-export", set())


def test_registered_variant(tmp_path: Path) -> None:
    rules = _rules(check_binary(FIXTURES / "libdemo.so", _lib(tmp_path), variant="registered"))
    assert rules["missing-export"] == {"__demo_init", "__demo_destroy"}
    assert "demo_create" in rules["registration-leak"]


def test_static_archive(tmp_path: Path) -> None:
    text = DEMO_MANIFEST.split("[[library.demo.exports]]", maxsplit=1)[0]
    text += '[[library.demo.exports]]\nsymbols = ["arc_alpha", "arc_beta", "arc_gone"]\n'
    rules = _rules(check_binary(FIXTURES / "libarc.a", _lib(tmp_path, text)))
    assert rules["unexpected-export"] == {"arc_beta"}
    assert rules["missing-export"] == {"arc_gone"}


def test_vague_and_python_policy(tmp_path: Path) -> None:
    lib = tmp_path / "libcxxdemo.so"
    text = extract_manifest(FIXTURES / "libcxxdemo.so")
    assert 'vague = "off"' in text
    manifest = tmp_path / "visgen.toml"
    manifest.write_text(text.replace('vague = "off"', 'vague = "error"'))
    library = load_manifest(manifest).library()
    rules = _rules(check_binary(FIXTURES / "libcxxdemo.so", library))
    assert "_ZN7cxxdemo8RegistryIiE5countE" in rules["vague-export"]
    assert "_ZTVN7cxxdemo5ShapeE" in rules["vague-export"]
    assert "_ZN7cxxdemo3addEii" not in rules["vague-export"]
    _ = lib
    ext = tmp_path / "_core.cpython-311-x86_64-linux-gnu.so"
    ext.write_bytes((FIXTURES / "libcxxdemo.so").read_bytes())
    rules = _rules(check_binary(ext, None, policy="python-extension"))
    assert rules["missing-export"] == {"PyInit__core"}
    assert "cxxdemo_c_api" in rules["unexpected-export"]


def test_helpers() -> None:
    assert python_module_name("a/_core.cpython-311-x86_64-linux-gnu.so") == "_core"
    assert library_name_for("/usr/lib/libz.so.1") == "z"
    assert is_vague_linkage("_ZTIN1a1BE", "STB_WEAK", "STT_OBJECT")
    assert not is_vague_linkage("_ZN1a3fooEv", "STB_WEAK", "STT_FUNC")
    assert not is_vague_linkage("_ZTIN1a1BE", "STB_GLOBAL", "STT_OBJECT")


SYSTEM = [
    Path(p)
    for p in (
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
    )
    if Path(p).exists()
]


@pytest.mark.parametrize(
    "binary",
    [
        FIXTURES / "libdemo.so",
        FIXTURES / "libcxxdemo.so",
        FIXTURES / "libdemo-powerpc64-linux-gnu.so",
        *SYSTEM,
    ],
    ids=lambda p: p.name,
)
def test_extract_then_check_is_clean(binary: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "visgen.toml"
    manifest.write_text(extract_manifest(binary))
    library = load_manifest(manifest).library()
    assert check_binary(binary, library) == []


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "visgen", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_cli_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "visgen.toml").write_text(DEMO_MANIFEST)
    done = _cli("check", str(FIXTURES / "libdemo.so"), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "[unexpected-export]" in done.stdout
    done = _cli(
        "check",
        str(FIXTURES / "libdemo.so"),
        "--exit-zero",
        "--output-format",
        "json",
        cwd=tmp_path,
    )
    assert done.returncode == 0
    assert '"version": 1' in done.stdout
    for bad in ("corrupt-truncated.so", "corrupt-text.so", "corrupt-class.so", "nope.so"):
        done = _cli("check", str(FIXTURES / bad), cwd=tmp_path)
        assert done.returncode == 2, (bad, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert bad in done.stderr
    done = _cli("extract", str(FIXTURES / "corrupt-text.so"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
