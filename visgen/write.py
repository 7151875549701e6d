"""Atomic write-if-changed: the one way visgen puts a generated file on disk.

A file whose bytes would not change is left alone (its mtime stays, so a build system
does not relink for nothing). Otherwise the new content goes to a temporary file in the
same folder, which :func:`os.replace` then moves over the target in one step: a reader
(or a linker) sees the old file or the new one, never a half-written one. Several
processes writing the same folder at once each use their own temporary file; the last
rename wins, and all of them write the same bytes for the same input.

Text is written as UTF-8 with ``\\n`` line ends on every platform (deterministic bytes).
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import time
from pathlib import Path

__all__ = ["write_if_changed"]


def __dir__() -> list[str]:
    return list(__all__)


_REPLACE_ATTEMPTS = 20
"""On Windows, os.replace fails while another process has the target open; retry."""


@functools.cache
def _file_mode() -> int:
    """0o666 minus the process umask: the mode a plain ``open(..., "w")`` would give."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _same_content(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def write_if_changed(path: Path, content: str | bytes) -> bool:
    """Write ``content`` to ``path`` unless the file already holds exactly it.

    Creates missing parent folders. Returns True when the file was (re)written.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    if _same_content(path, data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        tmp = Path(tmp_name)
        tmp.chmod(_file_mode())
        for attempt in range(_REPLACE_ATTEMPTS):
            try:
                tmp.replace(path)
                break
            except PermissionError:
                if os.name != "nt" or attempt == _REPLACE_ATTEMPTS - 1:
                    raise
                time.sleep(0.05)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp_name).unlink()
        raise
    return True
