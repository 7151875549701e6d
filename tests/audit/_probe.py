"""Load DSOs RTLD_LOCAL with ctypes, in order, into this (fresh) process; print what each sees.

Usage: python _probe.py LIB.so... ; prints JSON {"<file name>": {"<what>": address}}. A DSO
answers for ``<what>`` through its C function ``<file stem>_<what>`` (see data/ident.h).
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from pathlib import Path

WHAT = ("template_id", "inline_var", "static_local", "typeinfo", "vtable")


def main(paths: list[str]) -> None:
    handles = [(Path(p), ctypes.CDLL(str(Path(p).absolute()), mode=os.RTLD_LOCAL)) for p in paths]
    # Every object loaded so far, including dependencies, answers (libcore does too).
    seen: dict[str, dict[str, int]] = {}
    for path, lib in handles:
        for candidate in [path, *sorted(path.parent.glob("*.so"))]:
            stem = candidate.name.removesuffix(".so").removeprefix("lib")
            if candidate.name in seen:
                continue
            got: dict[str, int] = {}
            for what in WHAT:
                try:
                    fn = getattr(lib, f"{stem}_{what}")
                except AttributeError:
                    continue
                fn.restype = ctypes.c_void_p
                got[what] = int(fn())
            if got:
                seen[candidate.name] = got
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1:])
