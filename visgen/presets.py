"""Names ``visgen check`` tolerates: toolchain-injected symbols and the allow presets.

Toolchain names are tolerated without configuration. They depend on the target (the ELF
machine, or the object format), so :func:`toolchain_names` takes the ``e_machine`` value.
The version-node markers (an ``SHN_ABS`` symbol named after each version node) are
tolerated by :mod:`visgen.check` directly, since their names come from the binary.

Allow presets (``allow-presets = ["pybind11"]``) are globs over linkage names, taken from
what the frameworks' own headers export:

- pybind11 (``include/pybind11/detail/common.h``): ``PYBIND11_MODULE`` defines
  ``extern "C" PYBIND11_EXPORT PyObject *PyInit_<name>()``, and everything else lives in
  ``namespace pybind11`` declared with ``__attribute__((visibility("hidden")))``
  (``PYBIND11_NAMESPACE``). A module built with hidden visibility (what
  ``pybind11_add_module`` sets) therefore exports ``PyInit_<name>`` only; one built with
  default visibility (a hand-written CMake target, or an older pybind11) also exports
  template instantiations, typeinfo, vtables, guard variables and function-local statics
  of the ``pybind11`` namespace, which the preset tolerates.
- nanobind (``include/nanobind/nb_defs.h``): ``NB_MODULE`` defines ``extern "C"
  NB_EXPORT PyObject *PyInit_<name>()``; the ``nanobind`` namespace is hidden except the
  ``NB_CORE`` entry points of ``libnanobind`` (``nanobind::detail::*``), which a shared
  ``libnanobind`` exports and an extension module may re-export when built with default
  visibility.

Both presets also tolerate ``PyInit_*`` (the module's entry point).
"""

from __future__ import annotations

__all__ = [
    "ALLOW_PRESETS",
    "EM_AARCH64",
    "EM_ARM",
    "EM_MIPS",
    "EM_PPC",
    "EM_PPC64",
    "EM_X86_64",
    "MACHO_NAMES",
    "MINGW_NAMES",
    "preset_globs",
    "toolchain_names",
]


def __dir__() -> list[str]:
    return list(__all__)


EM_PPC = 20
EM_PPC64 = 21
EM_ARM = 40
EM_MIPS = 8
EM_X86_64 = 62
EM_AARCH64 = 183

# GNU ld, gold, lld and mold define these in every ELF DSO or executable they link
# (linker-script symbols and the crt files' _init/_fini), and export some of them.
_ELF_COMMON = frozenset(
    {
        "_init",
        "_fini",
        "_edata",
        "_end",
        "__bss_start",
        "_etext",
        "etext",
        "edata",
        "end",
        "__end__",
        "_DYNAMIC",
        "_GLOBAL_OFFSET_TABLE_",
        "_PROCEDURE_LINKAGE_TABLE_",
        "__dso_handle",
        "__data_start",
        "data_start",
        "_IO_stdin_used",
        "__libc_csu_init",
        "__libc_csu_fini",
    }
)
_ELF_BY_MACHINE: dict[int, frozenset[str]] = {
    EM_ARM: frozenset(
        {"__bss_start__", "__bss_end__", "_bss_end__", "__end__", "__exidx_start", "__exidx_end"}
    ),
    EM_AARCH64: frozenset({"__bss_start__", "__bss_end__", "_bss_end__", "__end__"}),
    EM_MIPS: frozenset({"_gp_disp", "__RLD_MAP", "_DYNAMIC_LINKING", "_fdata", "_ftext"}),
    EM_PPC: frozenset({"_SDA_BASE_", "_SDA2_BASE_"}),
    EM_PPC64: frozenset({".TOC.", "_SDA_BASE_"}),
}

MINGW_NAMES = frozenset(
    {"DllMain", "DllMainCRTStartup", "_pei386_runtime_relocator", "__dyn_tls_init_callback"}
)
"""Names a mingw-w64 link adds to a DLL's export table (for PE checks, not used on ELF)."""

MACHO_NAMES = frozenset({"__mh_dylib_header", "__mh_execute_header", "___dso_handle"})
"""Names an Apple link exposes (for Mach-O checks, not used on ELF)."""

_PRESETS: dict[str, tuple[str, ...]] = {
    "pybind11": (
        "PyInit_*",
        "_ZN8pybind11*",
        "_ZNK8pybind11*",
        "_ZTIN8pybind11*",
        "_ZTSN8pybind11*",
        "_ZTVN8pybind11*",
        "_ZGVZN8pybind11*",
        "_ZZN8pybind11*",
        "_ZZNK8pybind11*",
    ),
    "nanobind": (
        "PyInit_*",
        "_ZN8nanobind*",
        "_ZNK8nanobind*",
        "_ZTIN8nanobind*",
        "_ZTSN8nanobind*",
        "_ZTVN8nanobind*",
        "_ZGVZN8nanobind*",
        "_ZZN8nanobind*",
        "_ZZNK8nanobind*",
    ),
}

ALLOW_PRESETS: tuple[str, ...] = tuple(_PRESETS)


def preset_globs(name: str) -> tuple[str, ...]:
    """The globs of an allow preset; an unknown name gives none (lint reports it)."""
    return _PRESETS.get(name, ())


def toolchain_names(machine: int) -> frozenset[str]:
    """Toolchain-injected ELF names tolerated for a target ``e_machine``."""
    return _ELF_COMMON | _ELF_BY_MACHINE.get(machine, frozenset())
