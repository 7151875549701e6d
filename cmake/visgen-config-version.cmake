# Version check for find_package(visgen <version>): SameMajorVersion compatibility.
# The version is read from the Python package, so the two can never disagree.
if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/../__init__.py")
  file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/../__init__.py" _visgen_version_line
       REGEX "^__version__ = ")
else()
  # a source checkout: cmake/ sits beside the visgen/ package
  file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/../visgen/__init__.py" _visgen_version_line
       REGEX "^__version__ = ")
endif()
string(REGEX REPLACE "^__version__ = \"([^\"]+)\".*" "\\1" PACKAGE_VERSION "${_visgen_version_line}")
unset(_visgen_version_line)

if(PACKAGE_FIND_VERSION)
  string(REGEX REPLACE "^([0-9]+).*" "\\1" _visgen_major "${PACKAGE_VERSION}")
  if(PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION
     OR NOT PACKAGE_FIND_VERSION_MAJOR STREQUAL _visgen_major)
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
  else()
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
    if(PACKAGE_VERSION VERSION_EQUAL PACKAGE_FIND_VERSION)
      set(PACKAGE_VERSION_EXACT TRUE)
    endif()
  endif()
  unset(_visgen_major)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
endif()
