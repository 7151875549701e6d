# Cross toolchain: Windows x86_64 with mingw-w64 (GCC and GNU binutils), from Linux.
#
#   cmake -S <project> -B <build> --toolchain tests/cmake/toolchains/mingw-w64.cmake
#
# The programs built cannot run here; the tests read their export tables instead.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_triple x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_triple}-gcc)
set(CMAKE_CXX_COMPILER ${_triple}-g++)
set(CMAKE_RC_COMPILER ${_triple}-windres)
# the target's binutils: their nm reads COFF objects (CMake would otherwise find them too)
find_program(CMAKE_NM ${_triple}-nm)
find_program(CMAKE_AR ${_triple}-ar)
find_program(CMAKE_RANLIB ${_triple}-ranlib)

set(CMAKE_FIND_ROOT_PATH /usr/${_triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
