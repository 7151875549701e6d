"""The README's two set-up commands, as a new user runs them: in a fresh clone.

The main-job command runs for real in a clone of the committed tree (it creates its own
.venv there and builds example_project/); its report must show every variant clean and
every program passing. The test command is not run from inside the tests (it would run
this test again); instead ``.ci/run`` must run exactly the README's test command.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.cmake]


def readme_commands() -> tuple[str, str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.DOTALL)
    assert block, "the README starts with a ```sh block of set-up commands"
    assert text.index(block.group(0)) < text.index("\n## "), "the commands come first"
    lines = [ln.split("#")[0].strip() for ln in block.group(1).splitlines() if ln.strip()]
    assert len(lines) == 2, lines
    return lines[0], lines[1]


def test_ci_runs_the_readme_test_command() -> None:
    _, test_command = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(rf"^(bash )?{re.escape(test_command)}\b", ci, re.MULTILINE), ci


def test_main_job_from_a_fresh_clone(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    main_command, _ = readme_commands()
    clone = tmp_path / "visgen"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    proc = subprocess.run(
        ["bash", "-c", main_command],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    report = proc.stdout
    assert proc.returncode == 0, report + proc.stderr[-4000:]
    lines = report.splitlines()
    assert lines[-1] == "main_job: ok"
    rows = {
        ln.split()[0]: ln.split()
        for ln in lines
        if ln.split() and ln.split()[0] in ("static", "shared", "shared-registered", "registered")
    }
    assert set(rows) == {"static", "shared", "shared-registered", "registered"}
    assert all(row[-1] == "clean" for row in rows.values())
    assert rows["registered"][2] == "2"  # init and destroy only
    assert any(ln.startswith("aot_static:") and " ok " in ln for ln in lines)
    assert any(ln.startswith("aot_shared:") and " ok " in ln for ln in lines)
    assert any(ln.startswith("jit_host") and " ok " in ln for ln in lines)
    # nothing of the clone's work leaks into the tree: generated files live in the build folder
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True
    )
    assert [ln for ln in status.stdout.splitlines() if not ln.endswith((".venv/", "build/"))] == []
