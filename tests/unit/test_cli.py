"""The command line's contract: exit codes, no tracebacks, light start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from visgen import __version__
from visgen.cli import main

if TYPE_CHECKING:
    import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "visgen", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_version() -> None:
    proc = run("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"visgen {__version__}"


def test_no_command_is_usage_error() -> None:
    proc = run()
    assert proc.returncode == 2
    assert "usage" in proc.stderr


def test_unknown_option_is_usage_error() -> None:
    proc = run("lint", "--no-such-option")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "unrecognized arguments" in proc.stderr


def test_abbreviations_are_refused() -> None:
    # allow_abbrev=False: `--output` must not silently mean `--output-format`
    proc = run("lint", "--output", "json")
    assert proc.returncode == 2


def test_cmakedir_holds_the_package_config() -> None:
    proc = run("--cmakedir")
    assert proc.returncode == 0
    folder = Path(proc.stdout.strip())
    assert folder.is_absolute()
    assert (folder / "visgen-config.cmake").is_file()


def test_missing_manifest_is_exit_2(tmp_path: Path) -> None:
    proc = run("lint", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("visgen: error: no manifest")
    assert "Traceback" not in proc.stderr


def test_lint_finds_default_manifest(tmp_path: Path) -> None:
    (tmp_path / "visgen.toml").write_text('schema = 1\n[library.z]\nvariants = ["shared"]\n')
    proc = run("lint", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "no findings" in proc.stdout


def test_lint_falls_back_to_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.visgen]\nschema = 1\n[tool.visgen.library.z]\nvarints = []\n'
    )
    proc = run("lint", "--output-format", "github", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error file=pyproject.toml,line=6,")
    assert "did you mean `variants`?" in proc.stdout


def test_in_process_main_returns_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "visgen.toml"
    bad.write_text("schema = 1\n[library.z\n")
    assert main(["lint", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2:" in err
    assert "invalid TOML" in err


def test_text_output_has_no_colour_off_tty(tmp_path: Path) -> None:
    bad = tmp_path / "visgen.toml"
    bad.write_text('schema = 1\n[library.z]\nvisibilty = "hidden"\n')
    proc = run("lint", str(bad))
    assert proc.returncode == 1
    assert "\033[" not in proc.stdout
    assert f"{bad}:3: library.z.visibilty: error: unknown key" in proc.stdout


def test_import_is_light() -> None:
    # the CLI's start-up runs in every build step: jinja2 and pyelftools load lazily
    code = "import sys, visgen, visgen.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'elftools')))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
