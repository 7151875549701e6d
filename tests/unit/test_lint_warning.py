"""A finding that is a warning: reported in every format, but lint exits 0.

The one lint warning: an unversioned export group beside versioned ones. Existing
libraries do this (zlib's oldest names are unversioned), `visgen extract` reproduces it
and `visgen check` accepts it, but a version script cannot say it, so the generated one
puts those names in the first node.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MANIFEST = (
    Path(__file__).resolve().parents[1] / "manifests" / "warning" / "mixed-versioned-groups.toml"
)


def lint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "visgen", "lint", MANIFEST.name, *args],
        cwd=MANIFEST.parent,
        capture_output=True,
        text=True,
        check=False,
    )


def test_text_reports_a_warning_and_exits_zero() -> None:
    proc = lint()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        f"{MANIFEST.name}:9: library.foo.exports[1]: warning: export group has no `node`"
        in proc.stdout
    )
    assert "[unknown-node]" in proc.stdout
    assert proc.stdout.splitlines()[-2:] == [
        "    tip: give it a node, e.g. node = 'FOO_1'",
        "visgen lint: 0 error(s), 1 warning(s)",
    ]


def test_json_sarif_and_github_say_warning() -> None:
    doc = json.loads(lint("--output-format", "json").stdout)
    assert doc["summary"] == {"errors": 0, "warnings": 1}
    (finding,) = doc["findings"]
    assert (finding["rule"], finding["severity"], finding["line"]) == ("unknown-node", "warning", 9)
    sarif = json.loads(lint("--output-format", "sarif").stdout)
    (result,) = sarif["runs"][0]["results"]
    assert result["level"] == "warning"
    github = lint("--output-format", "github").stdout
    assert github.startswith(f"::warning file={MANIFEST.name},line=9,title=visgen unknown-node::")


def test_other_commands_accept_the_manifest(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "visgen",
            "generate",
            str(MANIFEST),
            "--out",
            str(tmp_path),
            "--platform",
            "linux",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    script = (tmp_path / "foo.map").read_text()
    node = script[script.index("FOO_1 {") : script.index("};")]
    # the unversioned group's names land in the first (here the only) node
    assert "foo_a;" in node
    assert "foo_b;" in node
