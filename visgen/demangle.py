"""Itanium C++ demangling without third-party packages.

:func:`demangle_many` asks libstdc++'s ``__cxa_demangle`` through :mod:`ctypes` (the same
demangler ``c++filt`` and GNU ld use, and no process start). Where libstdc++ cannot be
loaded it falls back to one batched ``c++filt`` process. Names that are not mangled, or
that the demangler rejects, map to themselves, as GNU ld does when it matches an
``extern "C++"`` pattern.
"""

from __future__ import annotations

import functools
import itertools
import operator

from visgen.errors import ToolError

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# check (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = ["demangle", "demangle_many", "is_mangled"]


def __dir__() -> list[str]:
    return list(__all__)


def is_mangled(name: str) -> bool:
    """True for an Itanium C++ linkage name (``_Z...``)."""
    return name.startswith("_Z")


@functools.cache
def _cxa_demangler() -> Callable[[Iterable[str]], list[str | None]] | None:
    """A function demangling names with ``__cxa_demangle`` (None for a name it rejects),
    or None when unavailable."""
    import ctypes  # imported on first use: ``check`` without C++ names never pays for it

    def candidates() -> Iterator[str | None]:
        yield "libstdc++.so.6"
        import ctypes.util  # find_library runs ldconfig or a compiler: only when needed

        yield ctypes.util.find_library("stdc++")
        yield "libc++.so.1"

    for candidate in candidates():
        if not candidate:
            continue
        try:
            lib = ctypes.CDLL(candidate)
            fn = lib.__cxa_demangle  # noqa: SLF001 (a C symbol, not a private member)
        except (OSError, AttributeError):
            continue
        break
    else:
        return None

    class _Demangled(ctypes.c_char_p):
        """The result type: a subclass, so ctypes keeps the pointer (to free it) instead
        of converting it to bytes; ``.value`` reads the text without ``string_at``."""

    libc = ctypes.CDLL(None)
    fn.restype = _Demangled
    fn.argtypes = [
        ctypes.c_char_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_int),
    ]
    free = libc.free
    free.argtypes = [ctypes.c_void_p]
    free.restype = None

    def many(names: Iterable[str]) -> list[str | None]:
        status = ctypes.c_int(0)
        ref = ctypes.byref(status)
        out: list[str | None] = []
        append = out.append
        for name in names:
            ptr = fn(name.encode("utf-8", "surrogateescape"), None, None, ref)
            text = ptr.value
            if text is None:
                append(None)
                continue
            free(ptr)
            append(text.decode("utf-8", "surrogateescape"))
        return out

    return many


def _cxxfilt(names: list[str]) -> list[str]:
    import shutil
    import subprocess

    tool = shutil.which("c++filt") or shutil.which("llvm-cxxfilt")
    if tool is None:
        msg = "cannot demangle C++ names: neither libstdc++ (__cxa_demangle) nor c++filt found"
        raise ToolError(msg)
    try:
        out = subprocess.run(
            [tool],
            input="\n".join(names) + "\n",
            capture_output=True,
            text=True,
            check=True,
            errors="surrogateescape",
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        msg = f"{tool} failed: {exc}"
        raise ToolError(msg) from exc
    lines = out.split("\n")
    if len(lines) < len(names):
        msg = f"{tool} returned {len(lines)} lines for {len(names)} names"
        raise ToolError(msg)
    return lines[: len(names)]


def demangle_many(names: Iterable[str]) -> dict[str, str]:
    """Map each name to its demangled form; names that are not mangled map to themselves."""
    seq = names if isinstance(names, list | tuple) else list(names)
    mangled = list(map(str.startswith, seq, itertools.repeat("_Z")))  # is_mangled, in bulk
    # names that are not mangled first, then the mangled ones, each in order
    result: dict[str, str] = {
        name: name for name in itertools.compress(seq, map(operator.not_, mangled))
    }
    pending = list(itertools.compress(seq, mangled))
    if not pending:
        return result
    many = _cxa_demangler()
    if many is not None:
        for name, text in zip(pending, many(pending), strict=True):
            result[name] = text or name
        return result
    for name, text in zip(pending, _cxxfilt(pending), strict=True):
        result[name] = text or name
    return result


def demangle(name: str) -> str:
    """Demangle one name (itself when it is not mangled)."""
    return demangle_many((name,))[name]
