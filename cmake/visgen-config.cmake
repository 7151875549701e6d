# find_package(visgen CONFIG) entry point.
#
# Found three ways: CMAKE_PREFIX_PATH set to `visgen --cmakedir` (this folder, inside
# the installed package), the cmake.root / cmake.module entry points under
# scikit-build-core, or a source checkout's cmake/ folder.
include_guard(GLOBAL)

include("${CMAKE_CURRENT_LIST_DIR}/Visgen.cmake")

set(visgen_FOUND TRUE)
