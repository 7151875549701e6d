"""The export header and the registration sources compile warning-free everywhere.

The header: gcc, g++, clang, clang++ and mingw-w64 (C and C++), each while building the
shared library, consuming it, and building/using the static library, with
``-Wall -Wextra -Wpedantic -Werror``. The mlir registration source compiles against
LLVM's headers and, where libLLVM is installed, a host fills an ``llvm::StringMap``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gen._toolchain import ASYNCRT, generate_ok, require, run

pytestmark = pytest.mark.toolchain

MINGW = "gcc-mingw-w64-x86-64-win32 g++-mingw-w64-x86-64-win32"
COMPILERS = {
    "gcc": ("gcc", "c"),
    "g++": ("g++", "c++"),
    "clang": ("clang", "c"),
    "clang++": ("clang", "c++"),
    "mingw-gcc": ("x86_64-w64-mingw32-gcc", "c"),
    "mingw-g++": ("x86_64-w64-mingw32-g++", "c++"),
}
PACKAGES = {"gcc": "gcc", "g++": "g++", "clang": "clang", "clang++": "clang"}
MODES = {"building": ["-Dasyncrt_EXPORTS"], "consuming": [], "static": ["-DASYNCRT_STATIC_DEFINE"]}

USE = """\
#include "asyncrt/asyncrt_export.h"
ASYNCRT_EXPORT int api(void);
ASYNCRT_NO_EXPORT int internal(void);
ASYNCRT_DEPRECATED int old1(void);
ASYNCRT_DEPRECATED_EXPORT int old2(void);
ASYNCRT_DEPRECATED_NO_EXPORT int old3(void);
ASYNCRT_EXPORT extern int data;
#ifdef __cplusplus
class ASYNCRT_EXPORT Widget {
 public:
  int get() const;
};
#endif
#ifndef CONSUMING
int internal(void) { return 1; }
int api(void) { return internal(); }
int data = 1;
#ifdef __cplusplus
int Widget::get() const { return data; }
#endif
#else
int use(void);
int use(void) { return api() + data; }
#endif
"""


@pytest.fixture(scope="module")
def header_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hdr")
    generate_ok(ASYNCRT / "visgen.toml", "--out", out, "--platform", "linux", "--variant", "static")
    return out


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("compiler", list(COMPILERS))
def test_header_warning_free(header_dir: Path, tmp_path: Path, compiler: str, mode: str) -> None:
    tool, lang = COMPILERS[compiler]
    require(tool, MINGW if "mingw" in tool else PACKAGES[compiler])
    src = tmp_path / ("use.cpp" if lang == "c++" else "use.c")
    src.write_text(USE)
    flags = MODES[mode] + (["-DCONSUMING"] if mode == "consuming" else [])
    std = "-std=c++11" if lang == "c++" else "-std=c99"
    run(
        [
            tool,
            "-x",
            lang,
            std,
            "-Wall",
            "-Wextra",
            "-Wpedantic",
            "-Werror",
            *flags,
            f"-I{header_dir}",
            "-c",
            src,
            "-o",
            tmp_path / "use.o",
        ]
    )


@pytest.mark.parametrize(
    ("tool", "flags", "export", "no_export"),
    [
        (
            "gcc",
            ["-Dasyncrt_EXPORTS"],
            '__attribute__((visibility("default")))',
            '__attribute__((visibility("hidden")))',
        ),
        (
            "gcc",
            [],
            '__attribute__((visibility("default")))',
            '__attribute__((visibility("hidden")))',
        ),
        ("gcc", ["-DASYNCRT_STATIC_DEFINE"], "", '__attribute__((visibility("hidden")))'),
        ("x86_64-w64-mingw32-gcc", ["-Dasyncrt_EXPORTS"], "__declspec(dllexport)", ""),
        ("x86_64-w64-mingw32-gcc", [], "__declspec(dllimport)", ""),
        ("x86_64-w64-mingw32-gcc", ["-DASYNCRT_STATIC_DEFINE"], "", ""),
        ("gcc", ["-DASYNCRT_EXPORT=MINE", "-DASYNCRT_NO_EXPORT=OTHER"], "MINE", "OTHER"),
    ],
)
def test_header_expansions(  # noqa: PLR0917
    header_dir: Path, tmp_path: Path, tool: str, flags: list[str], export: str, no_export: str
) -> None:
    require(tool, MINGW if "mingw" in tool else "gcc")
    src = tmp_path / "x.c"
    src.write_text('#include "asyncrt/asyncrt_export.h"\n<ASYNCRT_EXPORT>\n<ASYNCRT_NO_EXPORT>\n')
    out = run([tool, "-E", "-P", *flags, f"-I{header_dir}", src])
    # mingw's preprocessor spells __declspec(x) as __attribute__((x))
    lines = [ln.strip() for ln in out.splitlines() if ln.startswith("<")]
    if "mingw" in tool and export:
        export = export.replace("__declspec(", "__attribute__((") + ")"
    assert lines == [f"<{export}>".replace("< ", "<"), f"<{no_export}>"]


MLIR_MANIFEST = """\
schema = 1
[library.mlirrt]
variants = ["registered"]
[library.mlirrt.registration]
abi = "mlir"
on-init = "mlirrt_startup"
[[library.mlirrt.exports]]
symbols = ["mlirrt_add", "_ZN6mlirrt3mulEii"]
data = ["mlirrt_value"]
"""
MLIR_LIB = """\
extern "C" {
int mlirrt_value = 5;
static int started;
void mlirrt_startup(void) { ++started; }
int mlirrt_add(int a, int b) { return a + b + started * 0; }
}
namespace mlirrt { int mul(int a, int b) { return a * b; } }
"""
MLIR_HOST = """\
#include <dlfcn.h>
#include <cstdio>
#include <llvm/ADT/StringMap.h>
int main(int argc, char **argv) {
  (void)argc;
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) return 1;
  auto init = reinterpret_cast<void (*)(llvm::StringMap<void *> &)>(
      dlsym(lib, "__mlir_execution_engine_init"));
  auto destroy = reinterpret_cast<void (*)()>(dlsym(lib, "__mlir_execution_engine_destroy"));
  if (!init || !destroy || dlsym(lib, "mlirrt_add")) return 2;
  llvm::StringMap<void *> symbols;
  init(symbols);
  auto add = reinterpret_cast<int (*)(int, int)>(symbols["mlirrt_add"]);
  auto mul = reinterpret_cast<int (*)(int, int)>(symbols["_ZN6mlirrt3mulEii"]);
  int value = *static_cast<int *>(symbols["mlirrt_value"]);
  std::printf("%u %d %d %d\\n", symbols.size(), add(2, 3), mul(2, 3), value);
  destroy();
  return 0;
}
"""
LLVM_INCLUDE = Path("/usr/lib/llvm-14/include")


def test_mlir_registration(tmp_path: Path) -> None:
    gxx = require("g++", "g++")
    if not (LLVM_INCLUDE / "llvm/ADT/StringMap.h").is_file():
        pytest.skip("LLVM headers not found (apt-get install llvm-14-dev)")
    manifest = tmp_path / "visgen.toml"
    manifest.write_text(MLIR_MANIFEST)
    out = tmp_path / "gen"
    generate_ok(manifest, "--out", out, "--platform", "linux")
    source = out / "mlirrt_registration.cpp"
    assert "llvm::StringMap<void *> &symbols" in source.read_text()
    (tmp_path / "lib.cpp").write_text(MLIR_LIB)
    lib = tmp_path / "libmlirrt.so"
    cxxflags = ["-std=c++17", "-fPIC", "-Wall", "-Wextra", "-Werror", f"-I{LLVM_INCLUDE}"]
    run(
        [
            gxx,
            *cxxflags,
            "-fvisibility=hidden",
            "-shared",
            "-o",
            lib,
            tmp_path / "lib.cpp",
            source,
            f"-Wl,--version-script={out / 'mlirrt_registered.map'}",
        ]
    )
    libllvm = LLVM_INCLUDE.parent / "lib" / "libLLVM-14.so"
    if not libllvm.exists() or shutil.which("llvm-config-14") is None:
        pytest.skip("libLLVM-14.so not found (apt-get install llvm-14-dev): compiled only")
    (tmp_path / "host.cpp").write_text(MLIR_HOST)
    host = tmp_path / "host"
    run(
        [
            gxx,
            "-std=c++17",
            "-Wall",
            "-Wextra",
            f"-I{LLVM_INCLUDE}",
            tmp_path / "host.cpp",
            "-o",
            host,
            str(libllvm),
            "-ldl",
            f"-Wl,-rpath,{libllvm.parent}",
        ]
    )
    assert run([host, lib]).split() == ["3", "5", "6", "5"]
