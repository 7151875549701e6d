# Cross toolchain: macOS arm64 with clang and ld64.lld, from Linux, without an SDK.
#
#   cmake -S <project> -B <build> --toolchain tests/cmake/toolchains/macos-ld64-lld.cmake
#
# There is no libSystem and no C library headers: everything links with -nostdlib,
# a project supplies what dyld needs itself (see tests/cmake/projects/cross), and
# the tests read the export tries of the dylibs instead of running anything.
set(CMAKE_SYSTEM_NAME Darwin)
set(CMAKE_SYSTEM_PROCESSOR arm64)
set(CMAKE_OSX_ARCHITECTURES "" CACHE STRING "")  # the target triple says it
set(CMAKE_OSX_SYSROOT "" CACHE PATH "")          # no SDK
set(CMAKE_OSX_DEPLOYMENT_TARGET "" CACHE STRING "")

set(_triple arm64-apple-macos11)
set(CMAKE_C_COMPILER clang)
set(CMAKE_CXX_COMPILER clang++)
set(CMAKE_C_COMPILER_TARGET ${_triple})
set(CMAKE_CXX_COMPILER_TARGET ${_triple})
# no C++ standard library headers (the sources need none)
set(CMAKE_CXX_FLAGS_INIT "-nostdinc++ -Wno-unused-command-line-argument")

# ld64.lld, and nothing from an SDK at link time
foreach(_kind EXE SHARED MODULE)
  set(CMAKE_${_kind}_LINKER_FLAGS_INIT "-fuse-ld=lld -nostdlib")
endforeach()
# compiler checks would link a program against libSystem
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# LLVM's binutils read Mach-O (GNU nm and ar of a Linux host do not)
find_program(CMAKE_AR NAMES llvm-ar llvm-ar-14 REQUIRED)
find_program(CMAKE_RANLIB NAMES llvm-ranlib llvm-ranlib-14 REQUIRED)
find_program(CMAKE_NM NAMES llvm-nm llvm-nm-14 REQUIRED)
find_program(CMAKE_INSTALL_NAME_TOOL NAMES llvm-install-name-tool llvm-install-name-tool-14)
