"""The ``visgen-lint`` hook of ``.pre-commit-hooks.yaml``, run the way pre-commit runs it.

pre-commit installs the repository as a Python package, selects the staged files that
match ``files`` (``re.search`` on the path from the repository root) and appends them to
``entry``. These tests do the same with the manifests under ``tests/manifests``.

PyYAML is not a dependency, so the file is read with a small parser for the one shape it
has (a list of flat mappings of scalars); when PyYAML happens to be installed, the two
readings are compared.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOKS_FILE = ROOT / ".pre-commit-hooks.yaml"
MANIFESTS = ROOT / "tests" / "manifests"

Scalar = str | bool


def _scalar(text: str) -> Scalar:
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        inner = text[1:-1]
        return inner.replace("''", "'") if text[0] == "'" else inner
    return text


def parse_hooks(text: str) -> list[dict[str, Scalar]]:
    """A YAML list of flat mappings (``- key: value`` then ``  key: value``)."""
    hooks: list[dict[str, Scalar]] = []
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"(- |  )([A-Za-z_]+):\s*(.*)", raw)
        assert match, f"unexpected line in {HOOKS_FILE.name}: {raw!r}"
        lead, key, value = match.groups()
        if lead == "- ":
            hooks.append({})
        assert hooks, "a key before the first list item"
        assert key not in hooks[-1], f"{key} twice"
        hooks[-1][key] = _scalar(value)
    return hooks


def load_hook() -> dict[str, Scalar]:
    hooks = parse_hooks(HOOKS_FILE.read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h.get("id") == "visgen-lint"]
    return hook


def _case_manifests(exit_status: int) -> list[Path]:
    out = []
    for folder in sorted((MANIFESTS / "invalid").iterdir()):
        expected = tomllib.loads((folder / "expected.toml").read_text(encoding="utf-8"))
        if expected["exit"] != exit_status or "manifest" in expected:
            continue
        out += [folder / n for n in ("visgen.toml", "pyproject.toml") if (folder / n).is_file()]
    return out


VALID = sorted((MANIFESTS / "valid").glob("*.toml"))
FINDINGS = _case_manifests(1)
LOAD_ERRORS = _case_manifests(2)


def hook_command() -> list[str]:
    """``entry`` as pre-commit runs it: its first word is the installed console script."""
    words = shlex.split(str(load_hook()["entry"]))
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    program = shutil.which(words[0], path=search)
    if program is None:  # a checkout on PYTHONPATH without the console script installed
        return [sys.executable, "-m", "visgen", *words[1:]]
    return [program, *words[1:]]


def run_hook(files: list[Path], root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the hook in repository ``root`` on ``files``, which it must select."""
    hook = load_hook()
    selected = [p.relative_to(root).as_posix() for p in files]
    assert all(re.search(str(hook["files"]), name) for name in selected)
    return subprocess.run(
        [*hook_command(), *selected],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def valid_repository(root: Path) -> list[Path]:
    """A repository holding every valid example under a name the hook selects."""
    files = []
    examples = [*VALID, ROOT / "example_project" / "visgen.toml"]
    for source in (p for p in examples if p.is_file()):
        name = "pyproject.toml" if source.name == "pyproject.toml" else "visgen.toml"
        target = root / f"{source.parent.name}-{source.stem}" / name
        target.parent.mkdir()
        shutil.copyfile(source, target)
        files.append(target)
    return files


def test_hook_definition() -> None:
    hook = load_hook()
    assert hook["name"] == "visgen lint"
    assert hook["entry"] == "visgen lint --skip-unconfigured"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    assert hook["files"] == r"(^|/)(visgen\.toml|pyproject\.toml)$"
    assert hook.get("description")


def test_parser_agrees_with_pyyaml_when_installed() -> None:
    if importlib.util.find_spec("yaml") is None:
        return  # PyYAML is optional; the small parser is the reference
    import yaml  # type: ignore[import-untyped]

    text = HOOKS_FILE.read_text(encoding="utf-8")
    assert yaml.safe_load(text) == parse_hooks(text)


@pytest.mark.parametrize(
    ("path", "selected"),
    [
        ("visgen.toml", True),
        ("native/visgen.toml", True),
        ("pyproject.toml", True),
        ("a/b/pyproject.toml", True),
        ("expected.toml", False),
        ("myvisgen.toml", False),
        ("visgen.toml.orig", False),
        ("pyproject.toml~", False),
        ("docs/visgen.md", False),
    ],
)
def test_files_pattern(path: str, selected: bool) -> None:
    assert bool(re.search(str(load_hook()["files"]), path)) is selected


def test_files_pattern_selects_exactly_the_test_manifests() -> None:
    pattern = re.compile(str(load_hook()["files"]))
    selected = {
        p
        for p in MANIFESTS.rglob("*")
        if p.is_file() and pattern.search(p.relative_to(ROOT).as_posix())
    }
    assert selected == {MANIFESTS / "valid" / "pyproject.toml", *FINDINGS, *LOAD_ERRORS}


def test_hook_passes_on_valid_manifests(tmp_path: Path) -> None:
    files = valid_repository(tmp_path)
    assert len(files) == len(VALID) + 1
    proc = run_hook(files, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no findings" in proc.stdout


def test_hook_fails_on_every_manifest_with_findings() -> None:
    proc = run_hook(FINDINGS)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    reported = {line.split(":", 1)[0] for line in proc.stdout.splitlines() if ": error: " in line}
    assert reported == {p.relative_to(ROOT).as_posix() for p in FINDINGS}


@pytest.mark.parametrize("path", FINDINGS[:3], ids=lambda p: p.parent.name)
def test_hook_fails_when_one_file_of_a_batch_is_bad(path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad" / path.name
    bad.parent.mkdir()
    shutil.copyfile(path, bad)
    proc = run_hook([*valid_repository(tmp_path), bad], tmp_path)
    assert proc.returncode == 1, proc.stderr


@pytest.mark.parametrize("path", LOAD_ERRORS[:3], ids=lambda p: p.parent.name)
def test_hook_fails_on_a_manifest_that_cannot_be_loaded(path: Path) -> None:
    proc = run_hook([path])
    assert proc.returncode == 2
    assert proc.stderr.startswith("visgen: error: ")
    assert "Traceback" not in proc.stderr


def test_hook_skips_a_pyproject_without_visgen_table(tmp_path: Path) -> None:
    """pre-commit passes every pyproject.toml; one that is not a manifest is not an error."""
    plain = tmp_path / "other" / "pyproject.toml"
    plain.parent.mkdir()
    plain.write_text('[project]\nname = "unrelated"\n', encoding="utf-8")
    proc = run_hook([*valid_repository(tmp_path), plain], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "skipped" in proc.stderr
    assert "no [tool.visgen] table" in proc.stderr
    # without the hook's option, naming such a file is still bad input
    direct = subprocess.run(
        [sys.executable, "-m", "visgen", "lint", str(plain)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert direct.returncode == 2
    assert "has no [tool.visgen] table" in direct.stderr
