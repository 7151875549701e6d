"""Findings: what lint, check and audit report, each with a rule id of SPEC section 5."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from visgen.model import Location

__all__ = ["RULES", "Finding", "Severity", "exit_status"]


def __dir__() -> list[str]:
    return list(__all__)


Severity = Literal["error", "warning"]

RULES: dict[str, str] = {
    # check
    "missing-export": "declared, but not exported at all",
    "hidden-export": "declared and defined in the binary, but local or hidden",
    "unexpected-export": "exported, but neither declared nor allowed",
    "vague-export": "exported weak or unique C++ vague-linkage symbol",
    "wrong-version": "exported under another version node than declared",
    "registration-leak": "a registered variant exports more than init and destroy",
    "unmatched-entry": "a manifest entry that matches no symbol of the binary",
    # audit
    "duplicate-definition": "the same symbol defined in two DSOs of one set",
    "cxx-cross-dso": "a C++ symbol one DSO imports from another",
    # lint
    "invalid-name": "a name, pattern or value that is not valid where it stands",
    "duplicate-symbol": "a symbol declared twice, or clashing with a registration name",
    "unknown-node": "a version node that no export group defines",
    "node-cycle": "version nodes that inherit from each other in a loop",
    "shadowed-pattern": "an entry already covered by an earlier pattern",
    "unknown-key": "a key the manifest format does not have",
    "bad-path": "a path that is absolute or leaves the output folder",
}
"""Every rule id visgen reports, with its one-line meaning (used by SARIF and --help)."""


@dataclass(frozen=True)
class Finding:
    """One problem found. ``location`` points into the manifest where there is a place."""

    rule: str
    message: str
    severity: Severity = "error"
    location: Location | None = None
    binary: str | None = None
    symbol: str | None = None
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            msg = f"unknown rule id {self.rule!r}"
            raise ValueError(msg)


def exit_status(findings: list[Finding] | tuple[Finding, ...], *, exit_zero: bool = False) -> int:
    """0 when clean (or ``--exit-zero``), 1 when any finding is an error."""
    if exit_zero:
        return 0
    return 1 if any(f.severity == "error" for f in findings) else 0
