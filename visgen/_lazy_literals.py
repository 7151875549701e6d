"""Public ``Literal`` type aliases without importing :mod:`typing` at start-up.

:mod:`typing` costs every ``visgen check`` about 5 ms of start-up on a slow machine, and
the modules on that path use it only for annotations (not evaluated, thanks to
``from __future__ import annotations``) and for a few public aliases such as
``visgen.model.Platform``. Those modules define the aliases for type checkers under
``TYPE_CHECKING`` and, at run time, build them on first access through a module
``__getattr__`` that calls :func:`literal`; the alias is then stored in the module, so it
is built once and is an ordinary module attribute from then on.

Example (in a module)::

    if TYPE_CHECKING:
        Severity = Literal["error", "warning"]
    else:
        def __getattr__(name: str) -> object:
            return literal(__name__, name, {"Severity": ("error", "warning")})
"""

from __future__ import annotations

import sys

__all__ = ["literal"]


def literal(module: str, name: str, table: dict[str, tuple[str, ...]]) -> object:
    """``Literal[*table[name]]``, stored as ``module.name``; AttributeError for a name not
    in ``table`` (the usual message of a missing module attribute)."""
    values = table.get(name)
    if values is None:
        msg = f"module {module!r} has no attribute {name!r}"
        raise AttributeError(msg)
    from typing import Literal

    alias: object = Literal[values]  # Literal[("a", "b")] is Literal["a", "b"]
    setattr(sys.modules[module], name, alias)
    return alias
