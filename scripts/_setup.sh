# Sourced by main.sh and test.sh: installs what the project needs on a fresh Debian
# machine (Python 3.11, gcc and make assumed), then a .venv with visgen and its extras.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian tools the tests and the main job use: cmake and ninja (system CMake 3.25),
# clang/lld/llvm (second compiler, lld, ld64.lld, lld-link, llvm-objdump), llvm-14-dev
# (LLVM's headers and libLLVM, for the mlir registration ABI), mold, mingw-w64 (Windows
# DLLs), binutils (nm, readelf, objdump, gold), ccache.
DEB_PACKAGES="cmake ninja-build make g++ binutils clang lld llvm llvm-14-dev mold gcc-mingw-w64-x86-64-win32 g++-mingw-w64-x86-64-win32 ccache git"
need_apt=""
for tool in cmake ninja g++ nm clang ld.lld llvm-objdump llvm-config-14 mold x86_64-w64-mingw32-g++ ccache git; do
  command -v "$tool" >/dev/null 2>&1 || need_apt=1
done
if [ -n "$need_apt" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages: $DEB_PACKAGES" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq $DEB_PACKAGES >/dev/null
  else
    echo "setup: some tools are missing and apt-get is not usable as root;" >&2
    echo "setup: the tests that need them will skip (install: $DEB_PACKAGES)" >&2
  fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import visgen, jinja2, elftools, pytest, scikit_build_core" >/dev/null 2>&1 \
   || [ pyproject.toml -nt .venv/.visgen-installed ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch .venv/.visgen-installed
fi
# The oldest CMake the module supports (Visgen.cmake refuses anything older), kept apart
# from the venv's current PyPI cmake; tests/cmake builds a project with it.
if [ ! -x .venv/cmake-oldest/cmake/data/bin/cmake ]; then
  .venv/bin/python -m pip install -q --no-deps --target .venv/cmake-oldest 'cmake==3.20.5'
fi
