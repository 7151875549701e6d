"""Findings: what lint, check and audit report, each with a rule id of SPEC section 5."""

from __future__ import annotations

from visgen.model import _Frozen

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# check (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any, Literal

    from visgen.model import Location

__all__ = ["RULES", "Finding", "Severity", "exit_status"]


def __dir__() -> list[str]:
    return list(__all__)


if TYPE_CHECKING:
    Severity = Literal["error", "warning"]
else:

    def __getattr__(name: str) -> object:
        from visgen._lazy_literals import literal

        return literal(__name__, name, {"Severity": ("error", "warning")})


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


class Finding(_Frozen):
    """One problem found. ``location`` points into the manifest where there is a place.

    Immutable; compares, hashes and prints by its fields, like a frozen dataclass (the
    shared base :class:`visgen.model._Frozen` spares the start-up cost of dataclasses).
    """

    __slots__ = ("rule", "message", "severity", "location", "binary", "symbol", "hint")  # noqa: RUF023 (constructor order)
    _fields = ("rule", "message", "severity", "location", "binary", "symbol", "hint")
    _compare = _fields

    rule: str
    message: str
    severity: Severity
    location: Location | None
    binary: str | None
    symbol: str | None
    hint: str | None

    def __init__(  # noqa: PLR0917 (the fields, in the order of the dataclass it was)
        self,
        rule: str,
        message: str,
        severity: Severity = "error",
        location: Location | None = None,
        binary: str | None = None,
        symbol: str | None = None,
        hint: str | None = None,
    ) -> None:
        if rule not in RULES:
            msg = f"unknown rule id {rule!r}"
            raise ValueError(msg)
        init = object.__setattr__
        init(self, "rule", rule)
        init(self, "message", message)
        init(self, "severity", severity)
        init(self, "location", location)
        init(self, "binary", binary)
        init(self, "symbol", symbol)
        init(self, "hint", hint)

    def replace(self, **changes: Any) -> Finding:
        """A copy with ``changes`` applied (as ``dataclasses.replace`` would make)."""
        values = dict(zip(self._fields, self._values(self._fields), strict=True))
        unknown = changes.keys() - values.keys()
        if unknown:
            msg = f"Finding has no field {min(unknown)!r}"
            raise TypeError(msg)
        values.update(changes)
        return Finding(**values)


def exit_status(findings: list[Finding] | tuple[Finding, ...], *, exit_zero: bool = False) -> int:
    """0 when clean (or ``--exit-zero``), 1 when any finding is an error."""
    if exit_zero:
        return 0
    return 1 if any(f.severity == "error" for f in findings) else 0
