# cmake -DVISGEN_CMAKE_DIR=<repo>/cmake -DGNU_NM=<nm> -DLLVM_NM=<llvm-nm> [-DMINGW_NM=<nm>]
#       -P test_find_nm.cmake
#
# Which nm the module hands to `visgen generate --nm` (to list the symbols of the
# target's objects): CMAKE_NM when it reads the target's format, else llvm-nm.
# Run by tests/cmake/test_cmake_errors.py; prints "all passed" at the end.
cmake_minimum_required(VERSION 3.20)
include("${VISGEN_CMAKE_DIR}/Visgen.cmake")

macro(expect_streq actual expected)
  if(NOT "${actual}" STREQUAL "${expected}")
    message(SEND_ERROR "expected: ${expected}\n  actual: ${actual}\n  (${_case})")
  endif()
endmacro()

# a fresh choice for: target platform, its processor, the toolchain's CMAKE_NM
macro(expect_nm platform processor nm expected)
  set(_case "${platform} ${processor} CMAKE_NM=${nm}")
  set(WIN32 0)
  set(APPLE 0)
  if("${platform}" STREQUAL "windows")
    set(WIN32 1)
  elseif("${platform}" STREQUAL "macos")
    set(APPLE 1)
  endif()
  set(CMAKE_SYSTEM_PROCESSOR "${processor}")
  set(CMAKE_NM "${nm}")
  unset(_VISGEN_NM CACHE)
  _visgen_find_nm(_chosen)
  if("${expected}" STREQUAL "llvm-nm")
    expect_streq("${_chosen}" "${VISGEN_LLVM_NM}")  # the one the module found
  else()
    expect_streq("${_chosen}" "${expected}")
  endif()
endmacro()

# ELF: the toolchain's nm, whatever it is
expect_nm(linux x86_64 "${GNU_NM}" "${GNU_NM}")
expect_nm(linux aarch64 "${LLVM_NM}" "${LLVM_NM}")
# an LLVM nm reads every format
expect_nm(macos arm64 "${LLVM_NM}" "${LLVM_NM}")
expect_nm(windows AMD64 "${LLVM_NM}" "${LLVM_NM}")
# a Linux host's GNU nm reads PE/COFF for x86-64 but no Mach-O and no arm64 COFF
execute_process(COMMAND "${GNU_NM}" --help OUTPUT_VARIABLE _help ERROR_VARIABLE _help)
if(_help MATCHES " pe-x86-64[ \n]")
  expect_nm(windows AMD64 "${GNU_NM}" "${GNU_NM}")
endif()
if(NOT _help MATCHES "mach-o-arm64")
  expect_nm(macos arm64 "${GNU_NM}" llvm-nm)
endif()
if(NOT _help MATCHES "pe-aarch64")
  expect_nm(windows ARM64 "${GNU_NM}" llvm-nm)
endif()
# the target's own binutils
if(MINGW_NM)
  expect_nm(windows x86_64 "${MINGW_NM}" "${MINGW_NM}")
endif()
# no CMAKE_NM at all (an MSVC toolchain): llvm-nm; "llvm-nm" below means the one the
# module found
expect_nm(windows AMD64 "" llvm-nm)
# the choice is remembered, and made again when CMAKE_NM changes
set(WIN32 0)
set(APPLE 1)
set(CMAKE_NM "${LLVM_NM}")
_visgen_find_nm(_first)
set(CMAKE_NM "${GNU_NM}")
_visgen_find_nm(_second)
set(_case "CMAKE_NM changed on macos")
expect_streq("${_first}" "${LLVM_NM}")
expect_streq("${_second}" "${VISGEN_LLVM_NM}")
if(NOT VISGEN_LLVM_NM)
  message(SEND_ERROR "llvm-nm was never looked for")
endif()

message(STATUS "all passed")
