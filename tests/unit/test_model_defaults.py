"""Every default of SPEC section 2, as the loader fills it into the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from visgen.manifest import read_manifest
from visgen.model import PLATFORMS, BuildSettings, CheckPolicy, Library, Registration

if TYPE_CHECKING:
    from pathlib import Path

    from visgen.model import Manifest


def load(tmp_path: Path, text: str, name: str = "visgen.toml") -> Manifest:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    manifest, findings = read_manifest(path)
    assert findings == (), findings
    return manifest


def only_library(tmp_path: Path, text: str) -> Library:
    (lib,) = load(tmp_path, "schema = 1\n" + text).libraries
    return lib


MINIMAL = "[library.asyncrt]\n"


def test_macro_prefix_is_upper_cased_name(tmp_path: Path) -> None:
    assert only_library(tmp_path, MINIMAL).macro_prefix == "ASYNCRT"


def test_macro_prefix_of_dashed_name_is_a_c_identifier(tmp_path: Path) -> None:
    assert only_library(tmp_path, "[library.thread-pool]\n").macro_prefix == "THREAD_POOL"


def test_header_default(tmp_path: Path) -> None:
    assert only_library(tmp_path, MINIMAL).header == "asyncrt_export.h"
    assert only_library(tmp_path, "[library.net-io]\n").header == "net_io_export.h"


def test_variants_default_shared(tmp_path: Path) -> None:
    lib = only_library(tmp_path, MINIMAL)
    assert lib.variants == ("shared",)
    assert not lib.has_registration


def test_visibility_and_inlines_defaults(tmp_path: Path) -> None:
    lib = only_library(tmp_path, MINIMAL)
    assert lib.visibility == "hidden"
    assert lib.inlines_hidden is True


def test_registration_defaults_c_abi(tmp_path: Path) -> None:
    lib = only_library(tmp_path, MINIMAL)
    assert lib.registration == Registration(
        abi="c",
        init="__asyncrt_init",
        destroy="__asyncrt_destroy",
        on_init=None,
        on_destroy=None,
    )


def test_registration_defaults_of_dashed_name(tmp_path: Path) -> None:
    reg = only_library(tmp_path, "[library.thread-pool]\n").registration
    assert (reg.init, reg.destroy) == ("__thread_pool_init", "__thread_pool_destroy")


def test_registration_defaults_mlir_abi(tmp_path: Path) -> None:
    lib = only_library(
        tmp_path,
        MINIMAL + 'variants = ["registered"]\n[library.asyncrt.registration]\nabi = "mlir"\n',
    )
    assert lib.registration == Registration(
        abi="mlir",
        init="__mlir_execution_engine_init",
        destroy="__mlir_execution_engine_destroy",
    )
    assert lib.has_registration


def test_registration_explicit_names_win_over_abi_defaults(tmp_path: Path) -> None:
    lib = only_library(
        tmp_path,
        MINIMAL + '[library.asyncrt.registration]\nabi = "mlir"\ninit = "my_init"\n'
        'on-init = "start"\non-destroy = "stop"\n',
    )
    assert lib.registration == Registration(
        abi="mlir",
        init="my_init",
        destroy="__mlir_execution_engine_destroy",
        on_init="start",
        on_destroy="stop",
    )


def test_check_defaults(tmp_path: Path) -> None:
    lib = only_library(tmp_path, MINIMAL)
    assert lib.check == CheckPolicy(allow=(), allow_presets=(), vague="error")
    lib = only_library(tmp_path, MINIMAL + "[library.asyncrt.check]\n")
    assert lib.check.vague == "error"


def test_exports_default_empty(tmp_path: Path) -> None:
    assert only_library(tmp_path, MINIMAL).exports == ()


def test_group_defaults(tmp_path: Path) -> None:
    lib = only_library(tmp_path, MINIMAL + '[[library.asyncrt.exports]]\nsymbols = ["a"]\n')
    (group,) = lib.exports
    assert group.node is None
    assert group.inherits is None
    assert group.platforms == frozenset(PLATFORMS) == frozenset({"linux", "macos", "windows"})
    assert (group.globs, group.cxx, group.data, group.optional) == ((), (), (), ())
    for platform in PLATFORMS:
        assert lib.groups_for(platform) == (group,)


def test_group_platforms_restrict(tmp_path: Path) -> None:
    lib = only_library(
        tmp_path, MINIMAL + '[[library.asyncrt.exports]]\nsymbols = ["a"]\nplatforms = ["linux"]\n'
    )
    assert lib.exports[0].platforms == frozenset({"linux"})
    assert lib.groups_for("windows") == ()


def test_entries_keep_kind_and_manifest_order(tmp_path: Path) -> None:
    lib = only_library(
        tmp_path,
        MINIMAL + "[[library.asyncrt.exports]]\n"
        'cxx = ["ns::f()"]\n'
        'symbols = ["a", "_ZN2ns1gEv"]\n'
        'globs = ["b*"]\n'
        'data = ["v"]\n'
        'optional = ["dbg"]\n',
    )
    entries = lib.exports[0].entries
    assert [(e.text, e.kind) for e in entries] == [
        ("ns::f()", "cxx"),
        ("a", "symbol"),
        ("_ZN2ns1gEv", "symbol"),
        ("b*", "glob"),
        ("v", "data"),
        ("dbg", "optional"),
    ]
    assert [e.location.line for e in entries] == [4, 5, 5, 6, 7, 8]


def test_build_defaults(tmp_path: Path) -> None:
    assert load(tmp_path, "schema = 1\n" + MINIMAL).build == BuildSettings(
        manifest=None, check="error"
    )


def test_pyproject_same_defaults(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        '[project]\nname = "p"\n[tool.visgen]\nschema = 1\n[tool.visgen.library.asyncrt]\n',
        name="pyproject.toml",
    )
    (lib,) = manifest.libraries
    assert lib == only_library(tmp_path, MINIMAL)
    assert manifest.build == BuildSettings()


@pytest.mark.parametrize(
    ("text", "attribute", "value"),
    [
        ('macro-prefix = "AR"', "macro_prefix", "AR"),
        ('header = "inc/ar.h"', "header", "inc/ar.h"),
        ('variants = ["static", "shared-registered"]', "variants", ("static", "shared-registered")),
        ('visibility = "default"', "visibility", "default"),
        ("inlines-hidden = false", "inlines_hidden", False),
    ],
)
def test_explicit_values_replace_defaults(
    tmp_path: Path, text: str, attribute: str, value: object
) -> None:
    lib = only_library(tmp_path, MINIMAL + text + "\n")
    assert getattr(lib, attribute) == value
