"""Bugs the fuzzers found in the manifest loader, kept as regression tests.

Both were names the loader accepted and a later tool could not use: a registration
function named like a C or C++ keyword (the registration source then declared
``void int(...)`` and did not compile), and a version node named like a word of the
version-script language (gold rejected the script). Lint now reports both as
``invalid-name``, so no generated file ever carries them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from visgen.errors import ManifestError
from visgen.manifest import load_manifest, read_manifest

if TYPE_CHECKING:
    from pathlib import Path

REGISTRATION_KEYWORDS = """schema = 1
[library.kw]
variants = ["registered"]
[library.kw.registration]
init = "int"
destroy = "for"
[[library.kw.exports]]
symbols = ["foo"]
"""


@pytest.mark.parametrize("node", ["local", "global", "extern"])
def test_version_node_named_like_a_script_word_is_invalid(tmp_path: Path, node: str) -> None:
    path = tmp_path / "visgen.toml"
    path.write_text(
        f'schema = 1\n[library.kw]\n[[library.kw.exports]]\nnode = "{node}"\nsymbols = ["foo"]\n'
    )
    _, findings = read_manifest(path)
    assert [(f.rule, f.location.line if f.location else None) for f in findings] == [
        ("invalid-name", 4)
    ]
    assert "version-script language" in findings[0].message
    with pytest.raises(ManifestError, match="invalid-name"):
        load_manifest(path)


def test_registration_names_that_are_keywords_are_invalid(tmp_path: Path) -> None:
    path = tmp_path / "visgen.toml"
    path.write_text(REGISTRATION_KEYWORDS)
    _, findings = read_manifest(path)
    got = sorted((f.rule, f.location.key if f.location else "") for f in findings)
    assert got == [
        ("invalid-name", "library.kw.registration.destroy"),
        ("invalid-name", "library.kw.registration.init"),
    ]
    assert all("keyword" in f.message for f in findings)


@pytest.mark.parametrize("name", ["new", "class", "_Bool", "co_await"])
def test_cxx_and_c11_keywords_too(tmp_path: Path, name: str) -> None:
    path = tmp_path / "visgen.toml"
    path.write_text(
        REGISTRATION_KEYWORDS.replace('init = "int"', f'init = "{name}"').replace(
            'destroy = "for"\n', ""
        )
    )
    _, findings = read_manifest(path)
    assert [f.location.key for f in findings if f.location] == ["library.kw.registration.init"]


def test_names_that_merely_contain_keywords_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "visgen.toml"
    path.write_text(
        REGISTRATION_KEYWORDS.replace('"int"', '"int_init"').replace('"for"', '"format_destroy"')
    )
    _, findings = read_manifest(path)
    assert findings == ()
