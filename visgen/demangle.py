"""Itanium C++ demangling without third-party packages.

:func:`demangle_many` asks libstdc++'s ``__cxa_demangle`` through :mod:`ctypes` (the same
demangler ``c++filt`` and GNU ld use, and no process start). Where libstdc++ cannot be
loaded it falls back to one batched ``c++filt`` process. Names that are not mangled, or
that the demangler rejects, map to themselves, as GNU ld does when it matches an
``extern "C++"`` pattern.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from visgen.errors import ToolError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = ["demangle", "demangle_many", "is_mangled"]


def __dir__() -> list[str]:
    return list(__all__)


def is_mangled(name: str) -> bool:
    """True for an Itanium C++ linkage name (``_Z...``)."""
    return name.startswith("_Z")


@functools.cache
def _cxa_demangler() -> Callable[[str], str | None] | None:
    """A function demangling one name with ``__cxa_demangle``, or None when unavailable."""
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
    libc = ctypes.CDLL(None)
    fn.restype = ctypes.c_void_p
    fn.argtypes = [
        ctypes.c_char_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_int),
    ]
    free = libc.free
    free.argtypes = [ctypes.c_void_p]
    free.restype = None
    string_at = ctypes.string_at

    def one(name: str) -> str | None:
        status = ctypes.c_int(0)
        ptr = fn(name.encode("utf-8", "surrogateescape"), None, None, ctypes.byref(status))
        if not ptr:
            return None
        try:
            return string_at(ptr).decode("utf-8", "surrogateescape")
        finally:
            free(ptr)

    return one


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
    result: dict[str, str] = {}
    pending: list[str] = []
    for name in names:
        if is_mangled(name):
            pending.append(name)
        else:
            result[name] = name
    if not pending:
        return result
    one = _cxa_demangler()
    if one is not None:
        for name in pending:
            result[name] = one(name) or name
        return result
    for name, text in zip(pending, _cxxfilt(pending), strict=True):
        result[name] = text or name
    return result


def demangle(name: str) -> str:
    """Demangle one name (itself when it is not mangled)."""
    return demangle_many((name,))[name]
