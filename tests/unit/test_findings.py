"""Finding: immutable, compared and hashed by its fields, copied with replace()."""

from __future__ import annotations

import pickle

import pytest

from visgen.findings import Finding
from visgen.model import Location


def test_replace_makes_a_changed_copy() -> None:
    f = Finding("missing-export", "gone", location=Location("v.toml", 3, "library.a"))
    g = f.replace(binary="lib.so")
    assert (g.binary, g.message, g.location) == ("lib.so", "gone", f.location)
    assert f.binary is None
    assert g != f
    assert g.replace(binary=None) == f


def test_replace_rejects_unknown_fields_and_rules() -> None:
    f = Finding("missing-export", "gone")
    with pytest.raises(TypeError, match="no field 'colour'"):
        f.replace(colour="red")
    with pytest.raises(ValueError, match="unknown rule id"):
        f.replace(rule="no-such-rule")


def test_frozen_hashable_picklable() -> None:
    f = Finding("vague-export", "weak", "warning", symbol="_ZTI1A")
    with pytest.raises(AttributeError):
        f.rule = "x"
    assert {f, Finding("vague-export", "weak", "warning", symbol="_ZTI1A")} == {f}
    assert pickle.loads(pickle.dumps(f)) == f
