"""visgen: declare a C/C++ library's exported symbols once, then generate, wire and check them.

The import is kept light on purpose (the CLI's start-up time is part of every build
step that runs it): jinja2 and pyelftools are imported only by the commands that need
them, and the public names below are loaded on first use.
"""

from __future__ import annotations

# Not `from typing import ...`: the typing import alone costs several milliseconds of
# every command's start-up; mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False

__version__ = "0.1.0"

__all__ = ["Manifest", "__version__", "load_manifest"]

if TYPE_CHECKING:
    from typing import Any

    from visgen.manifest import load_manifest
    from visgen.model import Manifest


def __getattr__(name: str) -> Any:
    if name == "load_manifest":
        from visgen.manifest import load_manifest

        return load_manifest
    if name == "Manifest":
        from visgen.model import Manifest

        return Manifest
    msg = f"module 'visgen' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return list(__all__)
