"""The error hierarchy: one root, narrow subclasses.

Every error a user can cause (a broken manifest, a file that is not ELF, a missing tool)
is a :class:`VisgenError`; the CLI prints it as one clear message and exits with status 2.
Anything else is a bug in visgen and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "BinaryError",
    "GenerationError",
    "ManifestError",
    "NoManifestTableError",
    "ToolError",
    "UsageError",
    "VisgenError",
]


def __dir__() -> list[str]:
    return list(__all__)


class VisgenError(Exception):
    """Root of the errors caused by input; the CLI turns them into exit status 2."""


class UsageError(VisgenError):
    """A command line that does not make sense (a missing file, a conflicting option)."""


class ManifestError(VisgenError):
    """The manifest cannot be used. ``problems`` lists every reason, each with its place."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return head + "\n" + "\n".join(f"  {p}" for p in self.problems)


class NoManifestTableError(ManifestError):
    """A pyproject.toml without a ``[tool.visgen]`` table: not a manifest at all."""


class GenerationError(VisgenError):
    """A file could not be generated (a template error, an entry that matched nothing)."""


class BinaryError(VisgenError):
    """A binary that cannot be read: missing, truncated, corrupted or not ELF."""


class ToolError(VisgenError):
    """An external tool visgen needs is missing or failed."""
