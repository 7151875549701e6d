"""The public Literal aliases are built on first access, and the check path never imports
typing (visgen._lazy_literals)."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

import pytest

from visgen import check, findings, model, report

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize(
    ("module", "name", "values"),
    [
        (model, "Platform", ("linux", "macos", "windows")),
        (model, "Variant", ("static", "shared", "shared-registered", "registered")),
        (model, "EntryKind", ("symbol", "glob", "cxx", "data", "optional")),
        (model, "RegistrationAbi", ("c", "mlir")),
        (model, "VagueMode", ("error", "warn", "off")),
        (model, "Visibility", ("hidden", "default")),
        (model, "CheckMode", ("error", "warn", "off")),
        (findings, "Severity", ("error", "warning")),
        (report, "OutputFormat", ("text", "json", "sarif", "github")),
        (check, "Policy", ("python-extension",)),
    ],
)
def test_alias_is_the_literal(module: object, name: str, values: tuple[str, ...]) -> None:
    alias = getattr(module, name)
    assert alias == typing.Literal[values]
    assert typing.get_args(alias) == values
    assert getattr(module, name) is alias  # built once, then a module attribute


def test_constants_match_their_aliases() -> None:
    assert typing.get_args(model.Platform) == model.PLATFORMS
    assert typing.get_args(model.Variant) == model.VARIANTS


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        model.Nope  # type: ignore[attr-defined]  # noqa: B018


def test_check_path_does_not_import_typing() -> None:
    probe = "import sys; print('typing' in sys.modules)"
    before = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    if before == "True":
        pytest.skip("this interpreter imports typing at start-up (site or a .pth file)")
    code = (
        "import visgen.cli, visgen.commands.check, visgen.check, visgen.manifest, "
        "visgen._cache, visgen.report; " + probe
    )
    after = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert after == "False"
