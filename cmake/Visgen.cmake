#[=======================================================================[.rst:
Visgen
------

Declare a library's exported symbols once, in ``visgen.toml``; this module generates the
export header, the linker's export file and the registration source at build time,
wires them into the targets it is given, and checks each binary after it is linked.

.. cmake:command:: visgen_add_library

  .. code-block:: cmake

    visgen_add_library(<name>
      SOURCES <src>...
      [MANIFEST <file>]            # default: visgen.toml of the current, then the project source dir
      [LIBRARY <entry>]            # manifest entry; default: <name>
      [VARIANTS <variant>...]      # static shared shared-registered registered; default: the manifest's
      [CHECK ON|OFF]               # default: VISGEN_CHECK (ON): `visgen check` after each link (ELF)
      [INCLUDE_DIRECTORIES <dir>...]  # public include folders of the library's own headers
      [LINK_LIBRARIES <item>...])     # what the library's code links against

  .. list-table::
    :header-rows: 1

    * - Target
      - Alias
      - Exports
    * - ``<name>_static``
      - ``<name>::static``
      - none; consumers get ``<P>_STATIC_DEFINE``
    * - ``<name>_shared``
      - ``<name>::shared``
      - exactly the manifest's exports
    * - ``<name>_shared_registered``
      - ``<name>::shared_registered``
      - the exports plus init and destroy
    * - ``<name>_registered``
      - ``<name>::registered``
      - init and destroy only

  The sources are compiled once per kind: ``<name>_objects_shared`` (with
  ``<name>_EXPORTS``) for the shared variants, and ``<name>_objects_static`` (with
  ``<P>_STATIC_DEFINE``, position-independent) for the static archive and the registered
  library, so a DSO that links the archive re-exports nothing and a registered DLL carries
  no stray ``dllexport``. The variable ``<name>_VISGEN_TARGETS`` lists every target made.

.. cmake:command:: visgen_apply

  .. code-block:: cmake

    visgen_apply(TARGET <target> [MANIFEST <file>] [LIBRARY <entry>]
                 [VARIANT shared|shared-registered|registered|static] [CHECK ON|OFF])

  The same wiring for a target the project made itself (a pybind11 or nanobind module, a
  library with its own sources). A registered variant whose table needs patterns
  resolved is only available through ``visgen_add_library``.

Both functions change only the targets they are given, keep a visibility preset the
project set itself, add ``--exclude-libs,ALL`` on ELF and ``--no-undefined-version``
where the linker has it. Set ``VISGEN_EXECUTABLE`` to a ``visgen`` command to choose
the generator; otherwise ``${Python_EXECUTABLE} -m visgen`` is used.
#]=======================================================================]
include_guard(GLOBAL)

if(CMAKE_VERSION VERSION_LESS 3.20)
  message(FATAL_ERROR "visgen needs CMake 3.20 or newer (this is ${CMAKE_VERSION}); "
                      "`pip install cmake` gives a current one")
endif()

include(CheckLinkerFlag)

option(VISGEN_CHECK "default of CHECK: run `visgen check` after each link" ON)

set(_VISGEN_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

# -- where the Python package is ----------------------------------------------------------
# installed: <site-packages>/visgen/cmake; checkout: <repo>/cmake beside <repo>/visgen
if(EXISTS "${_VISGEN_CMAKE_DIR}/../__init__.py")
  get_filename_component(_VISGEN_PACKAGE_DIR "${_VISGEN_CMAKE_DIR}/.." ABSOLUTE)
  set(_VISGEN_CHECKOUT_ROOT "")
elseif(EXISTS "${_VISGEN_CMAKE_DIR}/../visgen/__init__.py")
  get_filename_component(_VISGEN_PACKAGE_DIR "${_VISGEN_CMAKE_DIR}/../visgen" ABSOLUTE)
  get_filename_component(_VISGEN_CHECKOUT_ROOT "${_VISGEN_CMAKE_DIR}/.." ABSOLUTE)
else()
  message(FATAL_ERROR "visgen: this CMake package (${_VISGEN_CMAKE_DIR}) is not beside its "
                      "Python package; reinstall with `pip install visgen-symbols`")
endif()
if(EXISTS "${_VISGEN_PACKAGE_DIR}/templates")
  set(_VISGEN_TEMPLATES_DIR "${_VISGEN_PACKAGE_DIR}/templates")
else()
  set(_VISGEN_TEMPLATES_DIR "${_VISGEN_CHECKOUT_ROOT}/templates")
endif()
file(GLOB _VISGEN_TEMPLATE_FILES "${_VISGEN_TEMPLATES_DIR}/*.j2")
file(GLOB _VISGEN_GENERATOR_FILES "${_VISGEN_PACKAGE_DIR}/*.py" "${_VISGEN_PACKAGE_DIR}/render/*.py")

# -- the generator command ----------------------------------------------------------------
function(_visgen_try_command out)
  execute_process(COMMAND ${ARGN} --version
                  OUTPUT_VARIABLE _out ERROR_VARIABLE _err RESULT_VARIABLE _rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(_rc EQUAL 0 AND _out MATCHES "^visgen ")
    set(${out} "${_out}" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
    string(STRIP "${_err}" _err)
    if(NOT _err)
      set(_err "exit status: ${_rc}; output: ${_out}")
    endif()
    set(_visgen_last_error "${_err}" PARENT_SCOPE)
  endif()
endfunction()

function(_visgen_find_command)
  if(DEFINED _VISGEN_COMMAND)
    return()
  endif()
  set(VISGEN_EXECUTABLE "${VISGEN_EXECUTABLE}" CACHE FILEPATH
      "the visgen command (default: <python> -m visgen)")
  if(VISGEN_EXECUTABLE)
    _visgen_try_command(_version "${VISGEN_EXECUTABLE}")
    if(NOT _version)
      message(FATAL_ERROR "visgen: VISGEN_EXECUTABLE=${VISGEN_EXECUTABLE} does not run "
                          "(${_visgen_last_error}); point it at a `visgen` command")
    endif()
    set(_VISGEN_COMMAND "${VISGEN_EXECUTABLE}" CACHE INTERNAL "")
    message(STATUS "visgen: ${_version} (${VISGEN_EXECUTABLE})")
    return()
  endif()
  # Candidate interpreters: the one the project found, then the one of the environment
  # this package is installed in, then any Python 3.11+.
  set(_candidates "")
  foreach(_var Python_EXECUTABLE Python3_EXECUTABLE PYTHON_EXECUTABLE)
    if(${_var})
      list(APPEND _candidates "${${_var}}")
    endif()
  endforeach()
  if(NOT _VISGEN_CHECKOUT_ROOT)
    # <prefix>/lib/pythonX.Y/site-packages/visgen -> <prefix>/bin/python3
    get_filename_component(_prefix "${_VISGEN_PACKAGE_DIR}/../../../.." ABSOLUTE)
    foreach(_exe "${_prefix}/bin/python3" "${_prefix}/bin/python" "${_prefix}/python.exe")
      if(EXISTS "${_exe}")
        list(APPEND _candidates "${_exe}")
      endif()
    endforeach()
  endif()
  if(NOT _candidates)
    find_package(Python3 3.11 COMPONENTS Interpreter QUIET)
    if(Python3_Interpreter_FOUND)
      list(APPEND _candidates "${Python3_EXECUTABLE}")
    endif()
  endif()
  if(NOT _candidates)
    message(FATAL_ERROR "visgen: no Python 3.11+ interpreter found. Install Python, then "
                        "`pip install visgen-symbols`, or set Python_EXECUTABLE or VISGEN_EXECUTABLE")
  endif()
  foreach(_python IN LISTS _candidates)
    if(_VISGEN_CHECKOUT_ROOT)
      # a checkout's module must run the checkout's package
      set(_cmd "${CMAKE_COMMAND}" -E env "PYTHONPATH=${_VISGEN_CHECKOUT_ROOT}" "${_python}" -m visgen)
    else()
      set(_cmd "${_python}" -m visgen)
    endif()
    _visgen_try_command(_version ${_cmd})
    if(_version)
      set(_VISGEN_COMMAND "${_cmd}" CACHE INTERNAL "")
      message(STATUS "visgen: ${_version} (${_python})")
      return()
    endif()
  endforeach()
  list(JOIN _candidates ", " _tried)
  message(FATAL_ERROR "visgen: no interpreter could run visgen (tried: ${_tried}): "
                      "${_visgen_last_error}\nFix: `pip install visgen-symbols` into that Python, "
                      "or set Python_EXECUTABLE (or VISGEN_EXECUTABLE) to one that has it")
endfunction()

function(_visgen_platform out)
  if(WIN32 OR CYGWIN)
    set(${out} windows PARENT_SCOPE)
  elseif(APPLE)
    set(${out} macos PARENT_SCOPE)
  else()
    set(${out} linux PARENT_SCOPE)
  endif()
endfunction()

# The nm that lists the symbols of the target's objects, for resolving patterns:
# CMAKE_NM when it reads the target's object format (ELF: always; an LLVM nm reads every
# format; a GNU nm lists the BFD formats it reads), else llvm-nm. Chosen once per tree.
function(_visgen_find_nm out)
  if(DEFINED _VISGEN_NM AND "${_VISGEN_NM_OF}" STREQUAL "${CMAKE_NM}")
    set(${out} "${_VISGEN_NM}" PARENT_SCOPE)
    return()
  endif()
  _visgen_platform(_platform)
  set(_nm "")
  if(CMAKE_NM AND _platform STREQUAL "linux")
    set(_nm "${CMAKE_NM}")
  elseif(CMAKE_NM)
    execute_process(COMMAND "${CMAKE_NM}" --version
                    OUTPUT_VARIABLE _version ERROR_QUIET RESULT_VARIABLE _rc)
    if(_rc EQUAL 0 AND _version MATCHES "LLVM")
      set(_nm "${CMAKE_NM}")
    else()
      string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" _cpu)
      if(_cpu MATCHES "^(arm64|aarch64)")
        set(_cpu arm64)
        set(_pe aarch64)
      elseif(_cpu MATCHES "^(i.86|x86)$")
        set(_cpu i386)
        set(_pe i386)
      else()
        set(_cpu x86-64)
        set(_pe x86-64)
      endif()
      if(_platform STREQUAL "windows")
        set(_format "pe-${_pe}")
      else()
        set(_format "mach-o-${_cpu}")
      endif()
      execute_process(COMMAND "${CMAKE_NM}" --help OUTPUT_VARIABLE _help ERROR_VARIABLE _help)
      if(_help MATCHES "supported targets:[^\n]* ${_format}[ \n]")
        set(_nm "${CMAKE_NM}")
      endif()
    endif()
  endif()
  if(NOT _nm)
    get_filename_component(_compiler_dir "${CMAKE_C_COMPILER}" DIRECTORY)
    find_program(VISGEN_LLVM_NM NAMES llvm-nm llvm-nm-19 llvm-nm-18 llvm-nm-17 llvm-nm-16
                 llvm-nm-15 llvm-nm-14 HINTS "${_compiler_dir}" NO_CMAKE_FIND_ROOT_PATH
                 DOC "llvm-nm, which visgen uses when CMAKE_NM cannot read the target's objects")
    if(VISGEN_LLVM_NM)
      set(_nm "${VISGEN_LLVM_NM}")
    elseif(CMAKE_NM)
      message(WARNING "visgen: ${CMAKE_NM} may not read ${_platform} objects and llvm-nm is "
                      "not found; if resolving the exports fails, install LLVM or set CMAKE_NM")
      set(_nm "${CMAKE_NM}")
    endif()
  endif()
  set(_VISGEN_NM "${_nm}" CACHE INTERNAL "the nm that reads the target's objects")
  set(_VISGEN_NM_OF "${CMAKE_NM}" CACHE INTERNAL "the CMAKE_NM _VISGEN_NM was chosen for")
  set(${out} "${_nm}" PARENT_SCOPE)
endfunction()

function(_visgen_link_language out)
  get_property(_languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if("C" IN_LIST _languages)
    set(${out} C PARENT_SCOPE)
  else()
    set(${out} CXX PARENT_SCOPE)
  endif()
endfunction()

# Which ELF link options the linker takes, checked once per build tree.
function(_visgen_elf_link_options out)
  _visgen_link_language(_lang)
  check_linker_flag(${_lang} "LINKER:--no-undefined-version" VISGEN_LINKER_HAS_NO_UNDEFINED_VERSION)
  check_linker_flag(${_lang} "LINKER:--exclude-libs,ALL" VISGEN_LINKER_HAS_EXCLUDE_LIBS)
  set(_opts "")
  if(VISGEN_LINKER_HAS_EXCLUDE_LIBS)
    list(APPEND _opts "LINKER:--exclude-libs,ALL")
  endif()
  if(VISGEN_LINKER_HAS_NO_UNDEFINED_VERSION)
    list(APPEND _opts "LINKER:--no-undefined-version")
  endif()
  set(${out} "${_opts}" PARENT_SCOPE)
endfunction()

function(_visgen_default_manifest out)
  foreach(_dir "${CMAKE_CURRENT_SOURCE_DIR}" "${PROJECT_SOURCE_DIR}")
    if(EXISTS "${_dir}/visgen.toml")
      set(${out} "${_dir}/visgen.toml" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

# Validates the manifest at configure time and loads the library's description
# (_visgen_variants, _visgen_header, ...) into the caller's scope.
# One visgen run per manifest and configure describes every library of the manifest
# (a Python start costs more than the rest of a call).
macro(_visgen_load_info fn manifest library gen_dir)
  _visgen_platform(_visgen_platform_name)
  string(MD5 _visgen_key "${manifest}")
  set(_visgen_info_dir "${CMAKE_BINARY_DIR}/CMakeFiles/visgen-info/${_visgen_key}")
  get_property(_visgen_described GLOBAL PROPERTY _VISGEN_DESCRIBED_${_visgen_key})
  if(NOT _visgen_described)
    execute_process(
      COMMAND ${_VISGEN_COMMAND} __cmake-info "${manifest}" "*" ${_visgen_platform_name}
              "${_visgen_info_dir}"
      RESULT_VARIABLE _visgen_rc ERROR_VARIABLE _visgen_err OUTPUT_VARIABLE _visgen_out)
    if(NOT _visgen_rc EQUAL 0)
      message(FATAL_ERROR "${fn}: ${_visgen_err}${_visgen_out}")
    endif()
    set_property(GLOBAL PROPERTY _VISGEN_DESCRIBED_${_visgen_key} ON)
  endif()
  set(_visgen_info_file "${_visgen_info_dir}/${library}.cmake")
  if(NOT EXISTS "${_visgen_info_file}")
    # not a library of the manifest: this run's message says which ones it has
    set(_visgen_info_file "${gen_dir}/visgen-info.cmake")
    execute_process(
      COMMAND ${_VISGEN_COMMAND} __cmake-info "${manifest}" "${library}" ${_visgen_platform_name}
              "${_visgen_info_file}"
      RESULT_VARIABLE _visgen_rc ERROR_VARIABLE _visgen_err OUTPUT_VARIABLE _visgen_out)
    if(NOT _visgen_rc EQUAL 0)
      message(FATAL_ERROR "${fn}: ${_visgen_err}${_visgen_out}")
    endif()
  endif()
  include("${_visgen_info_file}")
  # the export header, written by the run above (it depends on the manifest alone)
  set(_visgen_header_source "${_visgen_info_dir}/${library}/${_visgen_header}")
  # editing the manifest re-runs configure, then regenerates and relinks what changed;
  # so does a change of the templates or of visgen itself (the header is written then)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${manifest}"
               ${_VISGEN_TEMPLATE_FILES} ${_VISGEN_GENERATOR_FILES})
endmacro()

# Puts the export header where the targets include it: a copy of the one the configure
# run wrote, which configure_file writes only when it differs (an unchanged header
# recompiles nothing; file(COPY_FILE) would need CMake 3.21).
function(_visgen_copy_header header)
  configure_file("${_visgen_header_source}" "${header}" COPYONLY)
endfunction()

function(_visgen_parse_common fn)
  # (caller's ARG_MANIFEST / ARG_LIBRARY / ARG_CHECK are normalised here)
  if(NOT ARG_MANIFEST)
    _visgen_default_manifest(ARG_MANIFEST)
    if(NOT ARG_MANIFEST)
      message(FATAL_ERROR "${fn}: no MANIFEST given and no visgen.toml in "
                          "${CMAKE_CURRENT_SOURCE_DIR} or ${PROJECT_SOURCE_DIR}")
    endif()
  endif()
  get_filename_component(ARG_MANIFEST "${ARG_MANIFEST}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${ARG_MANIFEST}")
    message(FATAL_ERROR "${fn}: MANIFEST ${ARG_MANIFEST} does not exist")
  endif()
  if(NOT DEFINED ARG_CHECK)
    set(ARG_CHECK ${VISGEN_CHECK})
  endif()
  set(ARG_MANIFEST "${ARG_MANIFEST}" PARENT_SCOPE)
  set(ARG_CHECK "${ARG_CHECK}" PARENT_SCOPE)
endfunction()

# The command that generates one variant's files; OUTPUTs are what CMake tracks.
function(_visgen_generate_command)
  cmake_parse_arguments(PARSE_ARGV 0 G "" "MANIFEST;LIBRARY;VARIANT;DIR;OBJECTS_FROM;DLL_NAME;COMMENT" "OUTPUTS;DEPENDS")
  _visgen_platform(_platform)
  set(_args generate "${G_MANIFEST}" --out "${G_DIR}" --library "${G_LIBRARY}"
            --platform ${_platform} --variant ${G_VARIANT})
  if(G_OBJECTS_FROM)
    list(APPEND _args --objects-from "${G_OBJECTS_FROM}")
    _visgen_find_nm(_nm)
    if(_nm)
      list(APPEND _args --nm "${_nm}")
    endif()
  endif()
  if(G_DLL_NAME)
    list(APPEND _args --dll-name "${G_DLL_NAME}")
  endif()
  add_custom_command(
    OUTPUT ${G_OUTPUTS}
    COMMAND ${_VISGEN_COMMAND} ${_args}
    DEPENDS "${G_MANIFEST}" ${_VISGEN_TEMPLATE_FILES} ${_VISGEN_GENERATOR_FILES} ${G_DEPENDS}
    COMMENT "${G_COMMENT}"
    VERBATIM)
endfunction()

# Visibility: hidden by default (the manifest decides), unless the project chose itself.
function(_visgen_set_visibility target visibility inlines_hidden)
  foreach(_lang C CXX)
    get_target_property(_preset ${target} ${_lang}_VISIBILITY_PRESET)
    if(NOT _preset AND NOT DEFINED CMAKE_${_lang}_VISIBILITY_PRESET)
      set_property(TARGET ${target} PROPERTY ${_lang}_VISIBILITY_PRESET ${visibility})
    endif()
  endforeach()
  get_target_property(_inl ${target} VISIBILITY_INLINES_HIDDEN)
  if(NOT _inl AND NOT DEFINED CMAKE_VISIBILITY_INLINES_HIDDEN)
    set_property(TARGET ${target} PROPERTY VISIBILITY_INLINES_HIDDEN ${inlines_hidden})
  endif()
endfunction()

# Windows: a linker exports the .def's names *and* every dllexport of the objects, so the
# export macro is emptied while the DLL's own sources compile and the .def alone decides
# (as a version script or an Apple list does elsewhere). Consumers still get dllimport.
macro(_visgen_def_decides target)
  _visgen_platform(_visgen_def_platform)
  if(_visgen_def_platform STREQUAL "windows")
    target_compile_definitions(${target} PRIVATE "${_visgen_macro_prefix}_EXPORT=")
  endif()
endmacro()

# Export file of a DSO variant: version script, Apple list or .def. With PRELINK, the
# file is written just before the link (so it is no build-graph node, and a change of
# the manifest is what relinks).
function(_visgen_wire_linker_file target linker_file manifest mode)
  _visgen_platform(_platform)
  if(mode STREQUAL "PRELINK")
    set(_depends "${manifest}")
  else()
    set(_depends "${linker_file}")
  endif()
  if(_platform STREQUAL "linux")
    _visgen_elf_link_options(_elf_opts)
    target_link_options(${target} PRIVATE "LINKER:--version-script=${linker_file}" ${_elf_opts})
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${_depends}")
  elseif(_platform STREQUAL "macos")
    target_link_options(${target} PRIVATE "LINKER:-exported_symbols_list,${linker_file}")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${_depends}")
  elseif(mode STREQUAL "PRELINK")
    if(MSVC OR CMAKE_C_SIMULATE_ID STREQUAL "MSVC" OR CMAKE_CXX_SIMULATE_ID STREQUAL "MSVC")
      target_link_options(${target} PRIVATE "LINKER:/DEF:${linker_file}")
    else()
      target_link_options(${target} PRIVATE "${linker_file}")
    endif()
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${_depends}")
  else()
    # CMake passes a .def source to the linker for MinGW and MSVC-style toolchains alike
    target_sources(${target} PRIVATE "${linker_file}")
  endif()
endfunction()

function(_visgen_add_check target manifest library variant)
  _visgen_platform(_platform)
  if(NOT _platform STREQUAL "linux")
    return()  # the checker reads ELF; PE and Mach-O binaries are checked by the tests only
  endif()
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${_VISGEN_COMMAND} __postlink-check "$<TARGET_FILE:${target}>"
            --manifest "${manifest}" --library "${library}" --variant ${variant}
    COMMENT "visgen: checking the exports of ${target} (${variant})"
    VERBATIM)
endfunction()

function(visgen_add_library name)
  # options / one value / several values
  cmake_parse_arguments(PARSE_ARGV 1 ARG
    ""
    "MANIFEST;LIBRARY;CHECK"
    "SOURCES;VARIANTS;INCLUDE_DIRECTORIES;LINK_LIBRARIES")
  set(_fn "visgen_add_library(${name})")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${_fn}: unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(ARG_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "${_fn}: ${ARG_KEYWORDS_MISSING_VALUES} needs a value")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "${_fn}: SOURCES is required")
  endif()
  _visgen_find_command()
  _visgen_parse_common("${_fn}")
  if(NOT ARG_LIBRARY)
    set(ARG_LIBRARY "${name}")
  endif()
  set(_gen "${CMAKE_CURRENT_BINARY_DIR}/visgen/${name}")
  file(MAKE_DIRECTORY "${_gen}")
  _visgen_load_info("${_fn}" "${ARG_MANIFEST}" "${ARG_LIBRARY}" "${_gen}")
  if(NOT ARG_VARIANTS)
    set(ARG_VARIANTS ${_visgen_variants})
  endif()
  foreach(_v IN LISTS ARG_VARIANTS)
    if(NOT _v IN_LIST _visgen_variants)
      message(FATAL_ERROR "${_fn}: variant ${_v} is not among the manifest's variants "
                          "(${_visgen_variants}) of library ${ARG_LIBRARY} in ${ARG_MANIFEST}")
    endif()
  endforeach()

  set(_targets "")
  set(_registration_owner "")
  _visgen_copy_header("${_gen}/${_visgen_header}")
  add_custom_target(${name}_visgen_header)  # kept for projects that depend on it
  list(APPEND _targets ${name}_visgen_header)

  # the objects, compiled once per kind of variant
  set(_kinds "")
  if("shared" IN_LIST ARG_VARIANTS OR "shared-registered" IN_LIST ARG_VARIANTS)
    list(APPEND _kinds shared)
  endif()
  if("static" IN_LIST ARG_VARIANTS OR "registered" IN_LIST ARG_VARIANTS)
    list(APPEND _kinds static)
  endif()
  foreach(_kind IN LISTS _kinds)
    set(_obj ${name}_objects_${_kind})
    add_library(${_obj} OBJECT ${ARG_SOURCES})
    add_dependencies(${_obj} ${name}_visgen_header)
    set_property(TARGET ${_obj} PROPERTY POSITION_INDEPENDENT_CODE ON)
    _visgen_set_visibility(${_obj} ${_visgen_visibility} ${_visgen_inlines_hidden})
    target_include_directories(${_obj} PUBLIC "$<BUILD_INTERFACE:${_gen}>")
    foreach(_dir IN LISTS ARG_INCLUDE_DIRECTORIES)
      get_filename_component(_dir "${_dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      target_include_directories(${_obj} PUBLIC "$<BUILD_INTERFACE:${_dir}>")
    endforeach()
    if(ARG_LINK_LIBRARIES)
      target_link_libraries(${_obj} PUBLIC ${ARG_LINK_LIBRARIES})
    endif()
    if(_kind STREQUAL "shared")
      target_compile_definitions(${_obj} PRIVATE ${_visgen_export_define})
      _visgen_def_decides(${_obj})
    else()
      target_compile_definitions(${_obj} PUBLIC ${_visgen_macro_prefix}_STATIC_DEFINE)
    endif()
    list(APPEND _targets ${_obj})
  endforeach()

  foreach(_variant IN LISTS ARG_VARIANTS)
    string(REPLACE "-" "_" _key "${_variant}")
    set(_target ${name}_${_key})
    if(_variant STREQUAL "static")
      add_library(${_target} STATIC)
      target_link_libraries(${_target} PRIVATE ${name}_objects_static)
      target_compile_definitions(${_target} INTERFACE ${_visgen_macro_prefix}_STATIC_DEFINE)
      if(WIN32)
        set_property(TARGET ${_target} PROPERTY OUTPUT_NAME ${name}_static)
      else()
        set_property(TARGET ${_target} PROPERTY OUTPUT_NAME ${name})
      endif()
    else()
      add_library(${_target} SHARED)
      if(_variant STREQUAL "registered")
        set(_obj ${name}_objects_static)
      else()
        set(_obj ${name}_objects_shared)
      endif()
      target_link_libraries(${_target} PRIVATE ${_obj})
      set_property(TARGET ${_target} PROPERTY DEFINE_SYMBOL "")
      if(_variant STREQUAL "shared")
        set_property(TARGET ${_target} PROPERTY OUTPUT_NAME ${name})
      else()
        set_property(TARGET ${_target} PROPERTY OUTPUT_NAME ${name}_${_key})
      endif()
      set(_linker_file "${_gen}/${_visgen_linker_file_${_key}}")
      set(_outputs "${_linker_file}")
      set(_registration "${_gen}/${_visgen_registration_file}")
      # both registered variants share one registration source; the first one declares it
      # (the other writes identical bytes, which the writer leaves untouched)
      if(_variant MATCHES "registered" AND NOT _registration_owner)
        list(APPEND _outputs "${_registration}")
        set(_registration_owner ${_target}_visgen_files)
      endif()
      set(_gen_args MANIFEST "${ARG_MANIFEST}" LIBRARY "${ARG_LIBRARY}" VARIANT ${_variant}
                    DIR "${_gen}" OUTPUTS ${_outputs}
                    COMMENT "visgen: generating the ${_variant} export files of ${name}")
      # Every entry is resolved against the compiled objects before the link: an entry
      # that matches nothing fails here with visgen's message (not a linker's), and the
      # files list exact names, which every linker reads the same way.
      set(_rsp "${_gen}/${_key}-objects.rsp")
      file(GENERATE OUTPUT "${_rsp}" CONTENT "$<JOIN:$<TARGET_OBJECTS:${_obj}>,\n>\n")
      list(APPEND _gen_args OBJECTS_FROM "${_rsp}" DEPENDS "$<TARGET_OBJECTS:${_obj}>" "${_rsp}")
      if(WIN32)
        list(APPEND _gen_args DLL_NAME "$<TARGET_FILE_NAME:${_target}>")
      endif()
      _visgen_generate_command(${_gen_args})
      add_custom_target(${_target}_visgen_files DEPENDS ${_outputs})
      add_dependencies(${_target} ${_target}_visgen_files)
      if(_variant MATCHES "registered")
        add_dependencies(${_target} ${_registration_owner})
      endif()
      list(APPEND _targets ${_target}_visgen_files)
      _visgen_wire_linker_file(${_target} "${_linker_file}" "${ARG_MANIFEST}" DECLARED)
      if(_variant MATCHES "registered")
        target_sources(${_target} PRIVATE "${_registration}")
        if(_visgen_abi STREQUAL "mlir")
          set_source_files_properties("${_registration}" PROPERTIES LANGUAGE CXX)
        endif()
      endif()
    endif()
    target_include_directories(${_target} INTERFACE "$<BUILD_INTERFACE:${_gen}>")
    foreach(_dir IN LISTS ARG_INCLUDE_DIRECTORIES)
      get_filename_component(_dir "${_dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      target_include_directories(${_target} INTERFACE "$<BUILD_INTERFACE:${_dir}>")
    endforeach()
    if(ARG_CHECK)
      _visgen_add_check(${_target} "${ARG_MANIFEST}" "${ARG_LIBRARY}" ${_variant})
    endif()
    add_library(${name}::${_key} ALIAS ${_target})
    list(APPEND _targets ${_target})
  endforeach()
  set(${name}_VISGEN_TARGETS "${_targets}" PARENT_SCOPE)
endfunction()

function(visgen_apply)
  # options / one value / several values
  cmake_parse_arguments(PARSE_ARGV 0 ARG
    ""
    "TARGET;MANIFEST;LIBRARY;VARIANT;CHECK"
    "")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "visgen_apply(): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(ARG_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "visgen_apply(): ${ARG_KEYWORDS_MISSING_VALUES} needs a value")
  endif()
  if(NOT ARG_TARGET)
    message(FATAL_ERROR "visgen_apply(): TARGET is required")
  endif()
  if(NOT TARGET ${ARG_TARGET})
    message(FATAL_ERROR "visgen_apply(): ${ARG_TARGET} is not a target")
  endif()
  set(_target ${ARG_TARGET})
  set(_fn "visgen_apply(${_target})")
  get_target_property(_type ${_target} TYPE)
  if(NOT ARG_VARIANT)
    if(_type STREQUAL "STATIC_LIBRARY" OR _type STREQUAL "OBJECT_LIBRARY")
      set(ARG_VARIANT static)
    else()
      set(ARG_VARIANT shared)
    endif()
  endif()
  if(NOT ARG_VARIANT MATCHES "^(static|shared|shared-registered|registered)$")
    message(FATAL_ERROR "${_fn}: VARIANT ${ARG_VARIANT} is not one of "
                        "static, shared, shared-registered, registered")
  endif()
  if(ARG_VARIANT STREQUAL "static" AND NOT _type MATCHES "STATIC_LIBRARY|OBJECT_LIBRARY")
    message(FATAL_ERROR "${_fn}: VARIANT static needs a static or object library, not ${_type}")
  endif()
  if(NOT ARG_VARIANT STREQUAL "static" AND NOT _type MATCHES "SHARED_LIBRARY|MODULE_LIBRARY")
    message(FATAL_ERROR "${_fn}: VARIANT ${ARG_VARIANT} needs a SHARED or MODULE library, not ${_type}")
  endif()
  _visgen_find_command()
  _visgen_parse_common("${_fn}")
  if(NOT ARG_LIBRARY)
    set(ARG_LIBRARY "${_target}")
  endif()
  set(_gen "${CMAKE_CURRENT_BINARY_DIR}/visgen/${_target}")
  file(MAKE_DIRECTORY "${_gen}")
  _visgen_load_info("${_fn}" "${ARG_MANIFEST}" "${ARG_LIBRARY}" "${_gen}")
  if(NOT ARG_VARIANT IN_LIST _visgen_variants)
    message(FATAL_ERROR "${_fn}: variant ${ARG_VARIANT} is not among the manifest's variants "
                        "(${_visgen_variants}) of library ${ARG_LIBRARY}")
  endif()
  string(REPLACE "-" "_" _key "${ARG_VARIANT}")
  _visgen_set_visibility(${_target} ${_visgen_visibility} ${_visgen_inlines_hidden})
  target_include_directories(${_target} PUBLIC "$<BUILD_INTERFACE:${_gen}>")

  _visgen_copy_header("${_gen}/${_visgen_header}")
  set(_outputs "")
  if(ARG_VARIANT STREQUAL "static")
    target_compile_definitions(${_target} PUBLIC ${_visgen_macro_prefix}_STATIC_DEFINE)
  elseif(ARG_VARIANT STREQUAL "registered")
    target_compile_definitions(${_target} PRIVATE ${_visgen_macro_prefix}_STATIC_DEFINE)
  else()
    target_compile_definitions(${_target} PRIVATE ${_visgen_export_define})
    _visgen_def_decides(${_target})
  endif()
  if(NOT ARG_VARIANT STREQUAL "static")
    set(_linker_file "${_gen}/${_visgen_linker_file_${_key}}")
    if(ARG_VARIANT MATCHES "registered")
      if(_visgen_needs_objects_${_key})
        message(FATAL_ERROR "${_fn}: the ${ARG_VARIANT} table of ${ARG_LIBRARY} uses patterns, "
                            "which are resolved against the compiled objects before the registration "
                            "source is compiled; that needs visgen_add_library(), or exact names")
      endif()
      # the registration source is compiled with the target, so it is generated up front
      set(_registration "${_gen}/${_visgen_registration_file}")
      list(APPEND _outputs "${_registration}" "${_linker_file}")
      target_sources(${_target} PRIVATE "${_registration}")
      if(_visgen_abi STREQUAL "mlir")
        set_source_files_properties("${_registration}" PROPERTIES LANGUAGE CXX)
      endif()
      set(_mode DECLARED)
    else()
      set(_mode PRELINK)
    endif()
    # The target's own objects are known only when it links: the export file is written
    # (and every entry checked against the objects) just before the linker runs.
    _visgen_platform(_platform)
    set(_rsp "${_gen}/${_key}-objects.rsp")
    file(GENERATE OUTPUT "${_rsp}" CONTENT "$<JOIN:$<TARGET_OBJECTS:${_target}>,\n>\n")
    set(_extra "")
    _visgen_find_nm(_nm)
    if(_nm)
      list(APPEND _extra --nm "${_nm}")
    endif()
    if(WIN32)
      list(APPEND _extra --dll-name "$<TARGET_FILE_NAME:${_target}>")
    endif()
    add_custom_command(TARGET ${_target} PRE_LINK
      COMMAND ${_VISGEN_COMMAND} generate "${ARG_MANIFEST}" --out "${_gen}" --library "${ARG_LIBRARY}"
              --platform ${_platform} --variant ${ARG_VARIANT} --objects-from "${_rsp}" ${_extra}
      COMMENT "visgen: resolving the exports of ${_target} against its objects"
      VERBATIM)
    _visgen_wire_linker_file(${_target} "${_linker_file}" "${ARG_MANIFEST}" ${_mode})
  endif()
  if(_outputs)
    _visgen_generate_command(MANIFEST "${ARG_MANIFEST}" LIBRARY "${ARG_LIBRARY}" VARIANT ${ARG_VARIANT}
      DIR "${_gen}" OUTPUTS ${_outputs} COMMENT "visgen: generating the export files of ${_target}")
  endif()
  add_custom_target(${_target}_visgen_files DEPENDS ${_outputs})
  add_dependencies(${_target} ${_target}_visgen_files)
  if(ARG_CHECK AND NOT _type STREQUAL "OBJECT_LIBRARY")
    _visgen_add_check(${_target} "${ARG_MANIFEST}" "${ARG_LIBRARY}" ${ARG_VARIANT})
  endif()
endfunction()
