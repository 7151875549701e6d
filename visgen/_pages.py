"""Give back the resident pages of a file mapping whose bytes have been copied out.

A mapped file's touched pages count in a process's resident set (and its peak) as long
as they stay mapped. ``visgen check`` copies ``.dynstr`` and the manifest cache's sorted
names out of their mappings, then holds the copies: dropping the pages keeps the peak
to the copies alone. Dropped pages are read again from the page cache if touched.
"""

from __future__ import annotations

import mmap

__all__ = ["forget"]


def __dir__() -> list[str]:
    return list(__all__)


def forget(mapping: mmap.mmap, start: int, length: int) -> None:
    """Drop the pages of ``mapping[start:start + length]`` from the resident set (a no-op
    where the platform has no ``MADV_DONTNEED``)."""
    end = min(start + length, len(mapping))
    first = start - start % mmap.PAGESIZE  # madvise wants a page-aligned start
    if end > first and hasattr(mmap, "MADV_DONTNEED"):
        mapping.madvise(mmap.MADV_DONTNEED, first, end - first)
