"""Load plugins RTLD_LOCAL with ctypes, in order, into this (fresh) process; print their ids.

Usage: ``python probe.py plugin_a.so plugin_b.so``. Each plugin answers through its C
entry point ``<file stem>_id`` (``plugin_a_id``) the address it uses as the id of
``asyncrt::Runtime``. Prints JSON: ``{"plugin_a.so": address, ...}``.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from pathlib import Path


def main(paths: list[str]) -> None:
    # all of them loaded first, then asked: the ids as they are with every plugin in place
    loaded = [(p, ctypes.CDLL(str(p.absolute()), mode=os.RTLD_LOCAL)) for p in map(Path, paths)]
    ids: dict[str, int] = {}
    for path, lib in loaded:
        entry = getattr(lib, f"{path.name.removesuffix('.so')}_id")
        entry.restype = ctypes.c_void_p
        ids[path.name] = int(entry())
    print(json.dumps(ids))


if __name__ == "__main__":
    main(sys.argv[1:])
