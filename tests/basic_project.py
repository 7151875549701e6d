"""tests/cmake/projects/basic: where it is, what its manifest exports, and the oracle.

Shared by the CMake matrix and the concurrency tests, so the project's expected export
set is written once, and read back with ``nm -D`` (an independent tool) the same way.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

PROJECT = Path(__file__).resolve().parent / "cmake" / "projects" / "basic"

SHARED_EXPORTS = {
    "demo_add": "DEMO_1.0",
    "demo_counter_next": "DEMO_1.0",
    "demo_counter_reset": "DEMO_1.0",
    "demo_version": "DEMO_1.0",
    "demo_mul": "DEMO_1.1",
    "_ZN4demo5ShapeC1Ei": "DEMO_1.1",
    "_ZN4demo5ShapeC2Ei": "DEMO_1.1",
    "_ZNK4demo5Shape5sidesEv": "DEMO_1.1",
}
"""The shared variant's exports with their version nodes, as visgen.toml declares them."""

REGISTRATION = {"__demo_init", "__demo_destroy"}


def dynamic_exports(path: Path) -> dict[str, str | None]:
    """``nm -D --defined-only``: name -> version node (None when unversioned)."""
    out = subprocess.run(
        ["nm", "-D", "--defined-only", str(path)], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, str | None] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[1] == "A":  # A: a version node's own SHN_ABS marker
            continue
        name, _, node = parts[2].partition("@")
        result[name] = node.lstrip("@") or None
    return result
