"""Inputs the fuzzers found that still fail, kept as strict xfails until fixed.

Each names the module that has to change; when it is fixed the test passes, ``xfail_strict``
turns that into a failure, and the input moves to ``corpus/link/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fuzz.harness import available_linkers, link_sample

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.toolchain


def _linkers(*needed: str) -> list[str]:
    linkers = available_linkers()
    missing = [ld for ld in needed if ld not in linkers]
    if missing:
        pytest.skip(f"needs gcc and ld.{missing[0]}")
    return list(needed)


@pytest.mark.xfail(
    reason="visgen/manifest.py accepts a C keyword as a registration name (C_IDENTIFIER "
    "only); the registration source then declares `void int(...)` and does not compile",
    strict=True,
)
def test_registration_name_that_is_a_c_keyword(tmp_path: Path) -> None:
    text = """schema = 1
[library.kw]
variants = ["registered"]
[library.kw.registration]
init = "int"
destroy = "for"
[[library.kw.exports]]
symbols = ["foo"]
"""
    link_sample(text, tmp_path, _linkers("bfd"))


@pytest.mark.xfail(
    reason="visgen/manifest.py accepts a version node named `local`, `global` or `extern` "
    "(NODE_NAME only); gold rejects the script (syntax error, unexpected LOCAL)",
    strict=True,
)
def test_version_node_that_is_a_script_keyword(tmp_path: Path) -> None:
    text = """schema = 1
[library.kw]
[[library.kw.exports]]
node = "local"
symbols = ["foo"]
"""
    link_sample(text, tmp_path, _linkers("gold"))
