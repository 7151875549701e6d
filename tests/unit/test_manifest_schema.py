"""The shipped JSON Schema of the manifest, its agreement with the loader, and line numbers.

- Every valid manifest in the repository (``tests/manifests/valid``, ``example_project``)
  validates against ``visgen/schemas/manifest.schema.json`` and loads without findings.
- Every corpus case whose problem the schema can express (``schema = "reject"`` in its
  ``expected.toml``) is rejected by the schema too; a case the schema cannot see
  (``"accept"``: cycles, duplicates, shadowing, ``..`` in paths) is accepted by it, so the
  schema never rejects more than the loader.
- Key names, vocabularies, name patterns and defaults are the loader's own.
- :mod:`visgen._toml_lines` puts keys and array elements on the right line.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from visgen import manifest as loader
from visgen._toml_lines import LineIndex
from visgen.manifest import read_manifest
from visgen.model import PLATFORMS, VARIANTS
from visgen.resources import schemas_dir

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "tests" / "manifests"


def _has_tool_visgen(path: Path) -> bool:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    return isinstance(doc.get("tool", {}).get("visgen"), dict)


def _valid_manifests() -> list[Path]:
    found = sorted((MANIFESTS / "valid").glob("*.toml"))
    for folder in (ROOT / "example_project",):
        if not folder.is_dir():
            continue
        found += sorted(p for p in folder.rglob("visgen.toml") if "build" not in p.parts)
        found += sorted(
            p
            for p in folder.rglob("pyproject.toml")
            if "build" not in p.parts and _has_tool_visgen(p)
        )
    return found


VALID = _valid_manifests()


def _corpus() -> list[tuple[str, Path, str]]:
    cases = []
    for folder in sorted((MANIFESTS / "invalid").iterdir()):
        expected = tomllib.loads((folder / "expected.toml").read_text(encoding="utf-8"))
        if expected["schema"] == "n/a":
            continue
        manifest = next(
            folder / n for n in ("visgen.toml", "pyproject.toml") if (folder / n).is_file()
        )
        cases.append((folder.name, manifest, expected["schema"]))
    return cases


CORPUS = _corpus()


def manifest_table(path: Path) -> dict[str, Any]:
    """What the schema describes: the whole visgen.toml, or [tool.visgen] of a pyproject."""
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    if path.name == "pyproject.toml":
        table: dict[str, Any] = doc["tool"]["visgen"]
        return table
    return doc


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        (schemas_dir() / "manifest.schema.json").read_text(encoding="utf-8")
    )
    return doc


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator: jsonschema.Draft202012Validator, instance: object) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


# -- valid manifests --------------------------------------------------------------------------


def test_valid_manifests_exist() -> None:
    names = {p.name for p in VALID}
    assert "pyproject.toml" in names
    assert len(VALID) >= 5


@pytest.mark.parametrize("path", VALID, ids=lambda p: str(p.relative_to(ROOT)))
def test_valid_manifest_accepted_by_schema_and_loader(
    path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    assert _errors(validator, manifest_table(path)) == []
    manifest, findings = read_manifest(path)
    assert findings == ()
    assert manifest.libraries


def test_valid_manifests_use_every_key(schema: dict[str, Any]) -> None:
    """Between them, the valid examples set every key of the format."""
    used: set[str] = set()

    def walk(value: object, prefix: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{prefix}.{key}" if prefix else key)
        elif isinstance(value, list):
            for item in value:
                walk(item, f"{prefix}[]")
        used.add(prefix)

    for path in (MANIFESTS / "valid").glob("*.toml"):
        for lib in manifest_table(path).get("library", {}).values():
            walk(lib, "library.*")
        walk(manifest_table(path).get("build", {}), "build")
    lib_keys = set(schema["$defs"]["library"]["properties"])
    assert {f"library.*.{k}" for k in lib_keys} <= used
    for section, keys in (
        ("registration", loader.REGISTRATION_KEYS),
        ("exports[]", loader.GROUP_KEYS),
        ("check", loader.CHECK_KEYS),
    ):
        assert {f"library.*.{section}.{k}" for k in keys} <= used, section
    assert {f"build.{k}" for k in loader.BUILD_KEYS} <= used


# -- the corpus: schema and loader agree --------------------------------------------------------


def test_corpus_has_schema_cases() -> None:
    assert sum(kind == "reject" for _, _, kind in CORPUS) >= 40
    assert sum(kind == "accept" for _, _, kind in CORPUS) >= 15


@pytest.mark.parametrize(("name", "path", "kind"), CORPUS, ids=[c[0] for c in CORPUS])
def test_schema_judges_corpus_case(
    name: str, path: Path, kind: str, validator: jsonschema.Draft202012Validator
) -> None:
    errors = _errors(validator, manifest_table(path))
    if kind == "reject":
        assert errors, f"{name}: the schema accepts a manifest the loader rejects"
    else:
        assert errors == [], f"{name}: the schema rejects what only lint can see: {errors}"


# -- the schema is the loader's -------------------------------------------------------------------


def _props(schema: dict[str, Any], definition: str | None) -> dict[str, Any]:
    node = schema if definition is None else schema["$defs"][definition]
    props: dict[str, Any] = node["properties"]
    return props


def test_key_names_match_loader(schema: dict[str, Any]) -> None:
    assert tuple(_props(schema, None)) == loader.TOP_KEYS
    assert tuple(_props(schema, "library")) == loader.LIBRARY_KEYS
    assert tuple(_props(schema, "registration")) == loader.REGISTRATION_KEYS
    assert tuple(_props(schema, "export-group")) == loader.GROUP_KEYS
    assert tuple(_props(schema, "check")) == loader.CHECK_KEYS
    assert tuple(_props(schema, "build")) == loader.BUILD_KEYS


def test_every_object_is_closed_and_every_key_described(schema: dict[str, Any]) -> None:
    objects = [schema, *(d for d in schema["$defs"].values() if d.get("type") == "object")]
    assert len(objects) == 6
    for obj in objects:
        assert obj["additionalProperties"] is False
        for key, prop in obj["properties"].items():
            target = prop
            if "$ref" in prop and "description" not in prop:
                target = schema["$defs"][prop["$ref"].rsplit("/", 1)[1]]
            assert target.get("description"), key


def test_vocabularies_match_loader(schema: dict[str, Any]) -> None:
    lib = _props(schema, "library")
    assert tuple(lib["variants"]["items"]["enum"]) == VARIANTS
    assert tuple(schema["$defs"]["platform"]["enum"]) == PLATFORMS
    check = _props(schema, "check")
    assert tuple(check["allow-presets"]["items"]["enum"]) == loader.ALLOW_PRESETS
    assert _props(schema, None)["schema"]["const"] == loader.SCHEMA_VERSION


def test_name_patterns_match_loader(schema: dict[str, Any]) -> None:
    defs = schema["$defs"]
    assert defs["c-identifier"]["pattern"] == f"^{loader.C_IDENTIFIER.pattern}$"
    assert _props(schema, "export-group")["node"]["pattern"] == f"^{loader.NODE_NAME.pattern}$"
    names = _props(schema, None)["library"]["propertyNames"]["pattern"]
    assert names == f"^{loader.LIBRARY_NAME.pattern}$"
    linkage = defs["linkage-name"]["pattern"]
    assert linkage == f"^(?:{loader.C_IDENTIFIER.pattern}|{loader.MANGLED_NAME.pattern})$"


def test_defaults_match_model(schema: dict[str, Any], tmp_path: Path) -> None:
    """Each ``default`` in the schema is what the loader fills in."""
    path = tmp_path / "visgen.toml"
    path.write_text('schema = 1\n[library.foo]\n[[library.foo.exports]]\nsymbols = ["f"]\n')
    manifest, _ = read_manifest(path)
    (lib,) = manifest.libraries
    props = _props(schema, "library")
    assert tuple(props["variants"]["default"]) == lib.variants
    assert props["visibility"]["default"] == lib.visibility
    assert props["inlines-hidden"]["default"] is lib.inlines_hidden
    assert _props(schema, "registration")["abi"]["default"] == lib.registration.abi
    check = _props(schema, "check")
    assert check["vague"]["default"] == lib.check.vague
    assert tuple(check["allow"]["default"]) == lib.check.allow
    assert tuple(check["allow-presets"]["default"]) == lib.check.allow_presets
    group = _props(schema, "export-group")
    assert frozenset(group["platforms"]["default"]) == lib.exports[0].platforms
    assert _props(schema, "build")["check"]["default"] == manifest.build.check


GLOBS = [
    "foo_*",
    "foo_?",
    "_Z*",
    "foo_[ab]*",
    "foo_[!ab]",
    "foo_[^a-z]",
    "[[]x",
    "a[]",
    "foo$bar.*",
    "x-y",
    "",
    "foo_[ab",
    "foo_]",
    "a[]b]",
    "[!]]",
    "foo bar",
    "foo::*",
    "foo(int)",
    "foo@@V1",
    "*",
]


@pytest.mark.parametrize("text", GLOBS)
def test_glob_pattern_matches_loader(schema: dict[str, Any], text: str) -> None:
    pattern = schema["$defs"]["glob"]["pattern"]
    assert (re.search(pattern, text) is not None) == (loader.glob_problem(text) is None)


NAMES = ["foo", "_foo1", "_ZN3foo3barEv", "_ZTV3Foo", "_Z3f.cold", "1foo", "foo-bar", "foo bar", ""]


@pytest.mark.parametrize("text", NAMES)
def test_linkage_name_pattern_matches_loader(schema: dict[str, Any], text: str) -> None:
    pattern = schema["$defs"]["linkage-name"]["pattern"]
    assert (re.search(pattern, text) is not None) == loader.is_linkage_name(text)


CXX = [
    "ns::f(int)",
    "ns::V<int>::*",
    "ns::operator<<(std::ostream&, ns::X const&)",
    "ns::f(int",
    "ns::f();",
    "ns::{lambda}",
    'ns::"s"',
    "   ",
    "",
]


@pytest.mark.parametrize("text", CXX)
def test_cxx_pattern_never_stricter_than_loader(schema: dict[str, Any], text: str) -> None:
    """The schema cannot count brackets; it rejects only what the loader rejects too."""
    pattern = schema["$defs"]["cxx-pattern"]["pattern"]
    if re.search(pattern, text) is None:
        assert loader.cxx_problem(text) is not None


PATHS = ["a.h", "include/a/b.h", "./a.h", "a/../b.h", "/abs.h", "C:/x.h", "a\\b.h", "inc/", ""]


@pytest.mark.parametrize("text", PATHS)
def test_path_pattern_never_stricter_than_loader(schema: dict[str, Any], text: str) -> None:
    pattern = schema["$defs"]["relative-path"]["pattern"]
    if re.search(pattern, text) is None:
        assert loader.header_problem(text) is not None


# -- line numbers -----------------------------------------------------------------------------


def test_lines_of_tables_keys_and_inline_comments() -> None:
    text = (
        "schema = 1 # a comment with = and [brackets]\n"
        '[library."my.lib"]   # trailing comment ]\n'
        'header = "a#b.h"  # a # inside a string\n'
        "'quoted key' = 1\n"
        'a.b."c.d" = 2\n'
        "[ library . other ]\n"
        "x = 1\n"
    )
    index = LineIndex(text)
    assert index.line(("schema",)) == 1
    assert index.line(("library", "my.lib")) == 2
    assert index.line(("library", "my.lib", "header")) == 3
    assert index.line(("library", "my.lib", "quoted key")) == 4
    assert index.line(("library", "my.lib", "a", "b", "c.d")) == 5
    assert index.line(("library", "other", "x")) == 7
    assert index.line(("library", "other")) == 6


def test_lines_in_multiline_arrays() -> None:
    text = (
        "[library.foo]\n"
        'variants = [ "shared", # first\n'
        '  "static" ,\n'
        '  # "registered",\n'
        "\n"
        '  "registered"]\n'
        'after = ["x", "y]", "z,w", [1, 2], "last"]\n'
        "globs = [\n"
        '  """multi\n'
        'line""",\n'
        "  'lit#',\n"
        "]\n"
        "end = 1\n"
    )
    index = LineIndex(text)
    lib = ("library", "foo")
    assert [index.line((*lib, "variants", i)) for i in range(3)] == [2, 3, 6]
    assert [index.line((*lib, "after", i)) for i in range(5)] == [7] * 5
    assert index.line((*lib, "globs", 0)) == 9
    assert index.line((*lib, "globs", 1)) == 11
    assert index.line((*lib, "end")) == 13


def test_lines_in_arrays_of_tables() -> None:
    text = (
        "[library.foo]\n"
        "[[library.foo.exports]]\n"
        'symbols = ["a"]\n'
        "[[library.foo.exports]]\n"
        "node = 'N'\n"
        "[library.foo.exports.sub]\n"
        "k = 1\n"
        "[[library.foo.exports]]\n"
        "t = { a = 1, b = [1,\n"
        "  2] }\n"
        "after = 3\n"
        "[[library.bar.exports]]\n"
        'symbols = ["b"]\n'
    )
    index = LineIndex(text)
    exports = ("library", "foo", "exports")
    assert index.line((*exports, 0)) == 2
    assert index.line((*exports, 0, "symbols", 0)) == 3
    assert index.line((*exports, 1)) == 4
    assert index.line((*exports, 1, "node")) == 5
    assert index.line((*exports, 1, "sub", "k")) == 7
    assert index.line((*exports, 2, "t", "b")) == 9
    assert index.line((*exports, 2, "after")) == 11
    assert index.line(("library", "bar", "exports", 0, "symbols", 0)) == 13


def test_lines_fall_back_to_enclosing_path() -> None:
    index = LineIndex('[library.foo]\nregistration = { init = "x" }\n')
    assert index.line(("library", "foo", "registration", "init")) == 2
    assert index.line(("library", "foo", "missing", "deeper")) == 1
    assert index.line(("nothing",)) is None


def test_lines_with_crlf() -> None:
    index = LineIndex('schema = 1\r\n[library.foo]\r\nvariants = [\r\n  "shared",\r\n  "x"]\r\n')
    assert index.line(("library", "foo", "variants", 1)) == 5


def test_pyproject_prefix_in_lines_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[project]\nname = "p"\n\n[tool.visgen]\nschema = 1\n\n'
        "[tool.visgen.library.foo]\n"
        'variants = ["shared", "sharde"]\n'
        "[[tool.visgen.library.foo.exports]]\n"
        'symbols = ["ok", "not ok"]\n'
    )
    _, findings = read_manifest(path)
    got = sorted((f.location.line, f.location.key) for f in findings if f.location is not None)
    assert got == [
        (8, "tool.visgen.library.foo.variants[1]"),
        (10, "tool.visgen.library.foo.exports[0].symbols[1]"),
    ]
