"""resolve: nm -P parsing and matching entries to names (no toolchain needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gen._toolchain import ASYNCRT
from visgen.errors import GenerationError
from visgen.manifest import read_manifest
from visgen.resolve import parse_nm_posix, resolve

if TYPE_CHECKING:
    from pathlib import Path

NM_ARCHIVE = """\
libx.a[a.o]:
foo T 0000000000000000 000000000000000b
bar_data D 0000000000000000 0000000000000004
ext U
libx.a[b.o]:
_ZN2ns1fEv W 0000000000000000 000000000000000b
"""


def test_parse_nm_posix() -> None:
    assert parse_nm_posix(NM_ARCHIVE, "linux") == {"foo": "T", "bar_data": "D", "_ZN2ns1fEv": "W"}
    macho = "_foo T 0 0\n__ZN2ns1fEv T 0 0\nltmp0 t 0 0\n"
    assert parse_nm_posix(macho, "macos") == {"foo": "T", "_ZN2ns1fEv": "T"}


def test_resolve_orders_and_flags_data() -> None:
    library = read_manifest(ASYNCRT / "visgen.toml")[0].library("asyncrt")
    defined = {
        "asyncrtRuntimeZ": "T",
        "asyncrtRuntimeA": "D",
        "asyncrtCreateToken": "T",
        "asyncrtInitCount": "T",
        "asyncrt_version": "D",
        "asyncrtCancel": "T",
        "asyncrtOld": "T",
        "_ZN7asyncrt7Runtime5startEv": "T",
        "unrelated": "T",
    }
    res = resolve(library, "linux", defined)
    assert res.names == (
        "asyncrtCreateToken",
        "asyncrtInitCount",
        "asyncrtRuntimeA",
        "asyncrtRuntimeZ",
        "_ZN7asyncrt7Runtime5startEv",
        "asyncrt_version",
        "asyncrtCancel",
        "asyncrtOld",
    )
    data = {r.name for r in res.exports if r.data}
    assert data == {"asyncrtRuntimeA", "asyncrt_version"}
    assert {r.node for r in res.exports if r.name.startswith("asyncrtC")} == {
        "ASYNCRT_1.0",
        "ASYNCRT_1.1",
    }


def test_every_missing_entry_is_named(tmp_path: Path) -> None:
    library = read_manifest(ASYNCRT / "visgen.toml")[0].library("asyncrt")
    with pytest.raises(GenerationError) as info:
        resolve(library, "linux", {"asyncrtCreateToken": "T"})
    text = str(info.value)
    for missing in ("asyncrtInitCount", "asyncrtRuntime*", "asyncrt::Runtime::*", "asyncrtOld"):
        assert repr(missing) in text
    assert "asyncrtDebugDump" not in text  # optional
    assert "asyncrtTrace" not in text  # optional
    assert "visgen.toml:" in text
