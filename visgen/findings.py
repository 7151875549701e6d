"""Findings: what lint, check and audit report, each with a rule id of SPEC section 5."""

from __future__ import annotations

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# check (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import dataclasses
    from typing import Any, ClassVar, Literal

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


class _DataclassFields:
    """``Finding.__dataclass_fields__``, made on first use.

    :class:`Finding` behaves as the frozen dataclass it was (``dataclasses.replace``,
    ``fields`` and ``is_dataclass`` work on it), but importing :mod:`dataclasses` (with
    :mod:`inspect`) costs every command about 15 ms of start-up, so the field records are
    made, from an equivalent dataclass, only when one of those functions asks for them.
    """

    def __get__(self, obj: object, owner: type) -> dict[str, Any]:
        import dataclasses
        from typing import Any

        twin = dataclasses.make_dataclass(
            owner.__name__, [(name, Any) for name in Finding.__slots__], frozen=True
        )
        fields: dict[str, Any] = getattr(twin, "__dataclass_fields__")  # noqa: B009
        type.__setattr__(owner, "__dataclass_fields__", fields)  # made once
        return fields


class Finding:
    """One problem found. ``location`` points into the manifest where there is a place.

    Immutable; compares, hashes and prints by its fields, like a frozen dataclass.
    """

    __slots__ = ("rule", "message", "severity", "location", "binary", "symbol", "hint")  # noqa: RUF023 (constructor order)
    if TYPE_CHECKING:
        __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]
    else:
        __dataclass_fields__ = _DataclassFields()

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

    def _values(self) -> tuple[Any, ...]:
        return (
            self.rule,
            self.message,
            self.severity,
            self.location,
            self.binary,
            self.symbol,
            self.hint,
        )

    def __setattr__(self, name: str, value: object) -> None:
        msg = f"cannot assign to field {name!r}"
        raise AttributeError(msg)

    def __delattr__(self, name: str) -> None:
        msg = f"cannot delete field {name!r}"
        raise AttributeError(msg)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__qualname__}({fields})"

    def __reduce__(self) -> tuple[type[Finding], tuple[Any, ...]]:
        return (type(self), self._values())


def exit_status(findings: list[Finding] | tuple[Finding, ...], *, exit_zero: bool = False) -> int:
    """0 when clean (or ``--exit-zero``), 1 when any finding is an error."""
    if exit_zero:
        return 0
    return 1 if any(f.severity == "error" for f in findings) else 0
