"""``visgen lint`` on the corpus of broken manifests under ``tests/manifests/invalid``.

Each case is a folder with the manifest (``visgen.toml`` or ``pyproject.toml``) and an
``expected.toml``:

- ``exit = 1``: ``[[findings]]`` lists exactly the findings lint must report, each with
  ``rule``, ``line`` and ``key`` (and optionally ``text``, a substring of its message or
  hint, such as the "did you mean");
- ``exit = 2``: ``messages`` lists substrings of the one ``visgen: error:`` message (file
  name, line, key path, what is wrong).

``problems`` is how many problems that message lists (none for a one-line message).
``manifest`` names another path to lint (a missing file, a folder); ``schema`` says how
the shipped JSON Schema judges the manifest (used by ``test_manifest_schema.py``).

Every case runs as ``python -m visgen lint`` in a subprocess (exit status, no traceback,
JSON report valid against the shipped schema) and in-process through
:func:`visgen.cli.main` in every output format.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from visgen.cli import main
from visgen.findings import RULES
from visgen.resources import schemas_dir

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "tests" / "manifests"
INVALID = MANIFESTS / "invalid"
VALID = MANIFESTS / "valid"
LINT_RULES = frozenset(
    {
        "invalid-name",
        "duplicate-symbol",
        "unknown-node",
        "node-cycle",
        "shadowed-pattern",
        "unknown-key",
        "bad-path",
    }
)

FindingKey = tuple[str, int, str]


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    manifest: str
    """Path to lint, relative to ``folder`` (lint runs with ``folder`` as cwd)."""
    exit: int
    findings: tuple[FindingKey, ...]
    texts: tuple[tuple[FindingKey, str], ...]
    messages: tuple[str, ...]
    problems: int
    """For exit 2: how many problems the message lists, one per line (0: a one-line message)."""
    schema: str

    @property
    def expected_findings(self) -> Counter[FindingKey]:
        return Counter(self.findings)


def _manifest_name(folder: Path, expected: dict[str, Any]) -> str:
    if "manifest" in expected:
        return str(expected["manifest"])
    for name in ("visgen.toml", "pyproject.toml"):
        if (folder / name).is_file():
            return name
    msg = f"{folder}: no visgen.toml or pyproject.toml"
    raise AssertionError(msg)


def load_case(folder: Path) -> Case:
    expected = tomllib.loads((folder / "expected.toml").read_text(encoding="utf-8"))
    findings: list[FindingKey] = []
    texts: list[tuple[FindingKey, str]] = []
    for f in expected.get("findings", []):
        key: FindingKey = (f["rule"], f["line"], f["key"])
        findings.append(key)
        if "text" in f:
            texts.append((key, f["text"]))
    return Case(
        name=folder.name,
        folder=folder,
        manifest=_manifest_name(folder, expected),
        exit=expected["exit"],
        findings=tuple(findings),
        texts=tuple(texts),
        messages=tuple(expected.get("messages", ())),
        problems=expected.get("problems", 0),
        schema=expected["schema"],
    )


CASES = [load_case(p) for p in sorted(INVALID.iterdir()) if p.is_dir()]
FINDING_CASES = [c for c in CASES if c.exit == 1]
VALID_MANIFESTS = sorted(VALID.glob("*.toml"))


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


@pytest.fixture(scope="module")
def report_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((schemas_dir() / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def run_lint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "visgen", "lint", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "FORCE_COLOR"} | {"NO_COLOR": "1"},
    )


def run_main(
    case_folder: Path,
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, str, str]:
    monkeypatch.chdir(case_folder)
    monkeypatch.setenv("NO_COLOR", "1")
    status = main(["lint", *args])
    out, err = capsys.readouterr()
    return status, out, err


def _json_findings(doc: dict[str, Any]) -> Counter[FindingKey]:
    return Counter((f["rule"], f["line"], f["key"]) for f in doc["findings"])


def _check_texts(case: Case, findings: list[dict[str, Any]]) -> None:
    for key, text in case.texts:
        candidates = [f for f in findings if (f["rule"], f["line"], f["key"]) == key]
        assert any(text in f["message"] or text in f.get("hint", "") for f in candidates), (
            f"{case.name}: no finding {key} says {text!r}; got {candidates}"
        )


def _check_load_error(case: Case, status: int, out: str, err: str) -> None:
    assert status == 2, f"{case.name}: exit {status}\n{out}{err}"
    assert "Traceback" not in err
    assert out == ""
    assert err.startswith("visgen: error: "), err
    assert err.count("visgen: error:") == 1, err
    for text in case.messages:
        assert text in err, f"{case.name}: {text!r} not in:\n{err}"
    head, *problems = err.splitlines()
    assert len(problems) == case.problems, err
    assert all(p.startswith("  ") for p in problems), err
    if case.problems:
        plural = "s" if case.problems != 1 else ""
        assert head.endswith(f"cannot be used ({case.problems} problem{plural}):"), head


# -- the corpus itself -------------------------------------------------------------------


def test_corpus_size_and_coverage() -> None:
    assert len(CASES) >= 45
    assert sum(c.exit == 2 for c in CASES) >= 20
    assert sum(c.exit == 1 for c in CASES) >= 25
    covered = {rule for c in FINDING_CASES for rule, _, _ in c.findings}
    assert covered == LINT_RULES
    assert RULES.keys() >= LINT_RULES
    assert any(c.manifest == "pyproject.toml" and c.exit == 1 for c in CASES)
    assert any(c.manifest == "pyproject.toml" and c.exit == 2 for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_expected_file_is_well_formed(case: Case) -> None:
    assert case.exit in (1, 2)
    assert case.schema in ("reject", "accept", "n/a")
    if case.exit == 1:
        assert case.findings
        assert not case.messages
        assert (case.folder / case.manifest).is_file()
        assert all(rule in LINT_RULES for rule, _, _ in case.findings)
    else:
        assert case.messages
        assert not case.findings


# -- subprocess: exit status, no traceback, JSON report ------------------------------------


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_subprocess_json(case: Case, report_validator: jsonschema.Draft202012Validator) -> None:
    proc = run_lint(case.folder, case.manifest, "--output-format", "json")
    assert "Traceback" not in proc.stderr, proc.stderr
    if case.exit == 2:
        _check_load_error(case, proc.returncode, proc.stdout, proc.stderr)
        return
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)
    report_validator.validate(doc)
    assert doc["command"] == "lint"
    assert _json_findings(doc) == case.expected_findings
    assert all(f["file"] == case.manifest for f in doc["findings"])
    assert doc["summary"] == {"errors": len(case.findings), "warnings": 0}
    _check_texts(case, doc["findings"])


@pytest.mark.parametrize("manifest", VALID_MANIFESTS, ids=lambda p: p.name)
def test_subprocess_valid(
    manifest: Path, report_validator: jsonschema.Draft202012Validator
) -> None:
    proc = run_lint(manifest.parent, manifest.name, "--output-format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)
    report_validator.validate(doc)
    assert doc["findings"] == []
    assert doc["summary"] == {"errors": 0, "warnings": 0}


def test_subprocess_all_finding_cases_at_once(
    report_validator: jsonschema.Draft202012Validator,
) -> None:
    """Several manifests in one run: every finding of every file, each under its own file."""
    paths = [f"{c.name}/{c.manifest}" for c in FINDING_CASES]
    proc = run_lint(INVALID, *paths, "--output-format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    report_validator.validate(doc)
    got = Counter((f["file"], f["rule"], f["line"], f["key"]) for f in doc["findings"])
    want = Counter(
        (f"{c.name}/{c.manifest}", *finding) for c in FINDING_CASES for finding in c.findings
    )
    assert got == want


# -- in-process: every output format ----------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_in_process_text(
    case: Case, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, err = run_main(case.folder, [case.manifest], capsys, monkeypatch)
    if case.exit == 2:
        _check_load_error(case, status, out, err)
        return
    assert status == 1
    assert err == ""
    assert "\033[" not in out
    lines = out.splitlines()
    pattern = re.compile(
        r"^(?P<file>[^:]+):(?P<line>\d+): (?P<key>.+?): error: .* \[(?P<rule>[a-z-]+)\]$"
    )
    got = Counter(
        (m["rule"], int(m["line"]), m["key"])
        for m in map(pattern.match, lines)
        if m is not None and m["file"] == case.manifest
    )
    assert got == case.expected_findings, out
    assert lines[-1] == f"visgen lint: {len(case.findings)} error(s), 0 warning(s)"
    for _, text in case.texts:
        assert text in out


@pytest.mark.parametrize("case", FINDING_CASES, ids=_ids(FINDING_CASES))
def test_in_process_sarif(
    case: Case, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run_main(
        case.folder, [case.manifest, "--output-format", "sarif"], capsys, monkeypatch
    )
    assert status == 1
    doc = json.loads(out)
    assert doc["version"] == "2.1.0"
    assert "sarif" in doc["$schema"]
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "visgen"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert set(rule_ids) == {rule for rule, _, _ in case.findings}
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] == RULES[rule["id"]]
    got: Counter[FindingKey] = Counter()
    for result in run["results"]:
        assert result["level"] == "error"
        assert result["message"]["text"]
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == case.manifest
        (logical,) = location["logicalLocations"]
        got[(result["ruleId"], physical["region"]["startLine"], logical["fullyQualifiedName"])] += 1
    assert got == case.expected_findings


@pytest.mark.parametrize("case", FINDING_CASES, ids=_ids(FINDING_CASES))
def test_in_process_github(
    case: Case, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run_main(
        case.folder, [case.manifest, "--output-format", "github"], capsys, monkeypatch
    )
    assert status == 1
    pattern = re.compile(
        r"^::error file=(?P<file>[^,]+),line=(?P<line>\d+),title=visgen (?P<rule>[a-z-]+)::(?P<msg>.+)$"
    )
    lines = out.splitlines()
    matches = [pattern.match(line) for line in lines]
    assert all(matches), out
    got = Counter((m["rule"], int(m["line"])) for m in matches if m is not None)
    assert all(m["file"] == case.manifest for m in matches if m is not None)
    assert got == Counter((rule, line) for rule, line, _ in case.findings)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_in_process_exit_zero(
    case: Case, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--exit-zero`` forgives findings, never a manifest that cannot be loaded."""
    status, out, err = run_main(
        case.folder, [case.manifest, "--exit-zero", "--output-format", "json"], capsys, monkeypatch
    )
    if case.exit == 2:
        _check_load_error(case, status, out, err)
        return
    assert status == 0
    assert _json_findings(json.loads(out)) == case.expected_findings


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_in_process_valid_every_format(
    fmt: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [p.name for p in VALID_MANIFESTS]
    status, out, err = run_main(VALID, [*names, "--output-format", fmt], capsys, monkeypatch)
    assert (status, err) == (0, "")
    if fmt == "text":
        assert out == "visgen lint: no findings\n"
    elif fmt == "json":
        assert json.loads(out)["findings"] == []
    elif fmt == "sarif":
        assert json.loads(out)["runs"][0]["results"] == []
    else:
        assert out == ""
