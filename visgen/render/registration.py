"""The registration source: init hands the host every export, destroy tears down.

ABI ``c`` (``<name>_registration.c``)::

    typedef void (*visgen_register_fn)(void *ctx, const char *name, void *address);
    void INIT(visgen_register_fn register_symbol, void *ctx);  /* on-init, then one call per export */
    void DESTROY(void);                                        /* on-destroy */

ABI ``mlir`` (``<name>_registration.cpp``): ``extern "C" void INIT(llvm::StringMap<void *> &)``
fills the map, as MLIR's ExecutionEngine calls it; ``DESTROY()`` as above.

Every export is declared as an opaque array, ``extern char visgen_sym_N[]``, bound to its
linkage name with an asm label (``__USER_LABEL_PREFIX__`` adds Mach-O's underscore):
this declares functions, data and mangled C++ names alike without their real types, and
cannot clash with the library's own declarations. The table needs names, so patterns
and ``optional`` entries need ``--objects``. init keeps no state of its own: calling it
again after destroy registers everything again (on-init re-creates the library's state).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from visgen.render import Artifact, registration_file_name
from visgen.render._common import is_pattern, needs_objects
from visgen.render._env import c_string

if TYPE_CHECKING:
    from visgen.model import Library, Platform
    from visgen.resolve import Resolution

__all__ = ["export_names", "plan"]


def __dir__() -> list[str]:
    return list(__all__)


def export_names(library: Library, platform: Platform, resolution: Resolution | None) -> list[str]:
    """Linkage names of every export on ``platform``, in manifest order."""
    if resolution is not None:
        return list(resolution.names)
    groups = library.groups_for(platform)
    for group in groups:
        exact = "\n".join(group.symbols + group.data)
        if group.globs or group.cxx or group.optional or _GLOB.search(exact):
            for entry in group.entries:
                if is_pattern(entry):
                    raise needs_objects(
                        library, entry, "is a pattern, and the registration table lists names"
                    )
                if entry.kind == "optional":
                    raise needs_objects(library, entry, "may be absent from the build")
    return list(dict.fromkeys(e.text for g in groups for e in g.entries))


_GLOB = re.compile(r"[*?\[]")
_PLAIN_LINES = re.compile(r"[A-Za-z0-9_.$]*(?:\n[A-Za-z0-9_.$]*)*")


def _c_names(names: list[str]) -> list[tuple[int, str]]:
    if _PLAIN_LINES.fullmatch("\n".join(names)):
        return list(enumerate(names))
    return [(i, c_string(name)) for i, name in enumerate(names)]


def plan(library: Library, platform: Platform, resolution: Resolution | None) -> Artifact:
    reg = library.registration
    names = export_names(library, platform, resolution)
    template = "registration.cpp.j2" if reg.abi == "mlir" else "registration.c.j2"
    context = {
        "library": library.name,
        "init": reg.init,
        "destroy": reg.destroy,
        "on_init": reg.on_init,
        "on_destroy": reg.on_destroy,
        "symbols": names,
        "c_names": _c_names(names),
    }
    return Artifact(template, registration_file_name(library), context)
