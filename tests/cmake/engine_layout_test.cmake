# A folder of engine/ left out of engine/CMakeLists.txt stops the configure,
# naming it (cmake/TetherEngineLayout.cmake).
#
#   cmake -DTETHER_SOURCE_DIR=<repo> -DWORK_DIR=<scratch dir> -P engine_layout_test.cmake
#
# Each check runs in a child cmake (this script again, with CHECK_DIR set),
# since a FATAL_ERROR ends the process that raises it.
cmake_minimum_required(VERSION 3.25)
list(APPEND CMAKE_MODULE_PATH "${TETHER_SOURCE_DIR}/cmake")

if(DEFINED CHECK_DIR)  # the child: lists come comma-separated
  include(TetherEngineLayout)
  string(REPLACE "," ";" parts "${CHECK_PARTS}")
  string(REPLACE "," ";" subdirs "${CHECK_SUBDIRS}")
  tether_check_engine_layout("${CHECK_DIR}" PARTS ${parts} SUBDIRECTORIES ${subdirs})
  return()
endif()

set(failures 0)

# Runs the check on `dir`; `parts` and `subdirs` are lists.
function(check_layout dir parts subdirs result_var output_var)
  string(REPLACE ";" "," parts "${parts}")
  string(REPLACE ";" "," subdirs "${subdirs}")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" "-DTETHER_SOURCE_DIR=${TETHER_SOURCE_DIR}" "-DCHECK_DIR=${dir}"
            "-DCHECK_PARTS=${parts}" "-DCHECK_SUBDIRS=${subdirs}" -P "${CMAKE_CURRENT_LIST_FILE}"
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${result_var} "${result}" PARENT_SCOPE)
  set(${output_var} "${out}${err}" PARENT_SCOPE)
endfunction()

function(expect_pass what dir parts subdirs)
  check_layout("${dir}" "${parts}" "${subdirs}" result output)
  if(NOT result EQUAL 0)
    message(SEND_ERROR "FAIL: ${what}: the check refused:\n${output}")
    math(EXPR failures "${failures} + 1")
    set(failures ${failures} PARENT_SCOPE)
  else()
    message(STATUS "ok: ${what}")
  endif()
endfunction()

# Fails, and the output contains each of ARGN and none of NOT_NAMING.
function(expect_refusal what dir parts subdirs)
  cmake_parse_arguments(E "" "" "NAMING;NOT_NAMING" ${ARGN})
  check_layout("${dir}" "${parts}" "${subdirs}" result output)
  set(ok TRUE)
  if(result EQUAL 0)
    set(ok FALSE)
  endif()
  foreach(text IN LISTS E_NAMING)
    string(FIND "${output}" "${text}" at)
    if(at EQUAL -1)
      set(ok FALSE)
    endif()
  endforeach()
  foreach(text IN LISTS E_NOT_NAMING)
    string(FIND "${output}" "${text}" at)
    if(NOT at EQUAL -1)
      set(ok FALSE)
    endif()
  endforeach()
  if(NOT ok)
    message(SEND_ERROR "FAIL: ${what}: expected a refusal naming [${E_NAMING}] and not [${E_NOT_NAMING}], "
                       "got exit ${result}:\n${output}")
    math(EXPR failures "${failures} + 1")
    set(failures ${failures} PARENT_SCOPE)
  else()
    message(STATUS "ok: ${what}")
  endif()
endfunction()

# --- The real engine/ with the lists of engine/CMakeLists.txt.
set(engine "${TETHER_SOURCE_DIR}/engine")
file(READ "${engine}/CMakeLists.txt" engine_cmake)
foreach(list PARTS SUBDIRECTORIES)
  if(NOT engine_cmake MATCHES "set\\(TETHER_ENGINE_${list} ([^)]*)\\)")
    message(FATAL_ERROR "FAIL: no set(TETHER_ENGINE_${list} ...) in engine/CMakeLists.txt")
  endif()
  separate_arguments(real_${list} UNIX_COMMAND "${CMAKE_MATCH_1}")
endforeach()
if(engine_cmake MATCHES "include\\([^)]*OPTIONAL")
  message(SEND_ERROR "FAIL: engine/CMakeLists.txt includes a part OPTIONAL: a missing one would vanish")
  math(EXPR failures "${failures} + 1")
endif()

expect_pass("engine/ as it is" "${engine}" "${real_PARTS}" "${real_SUBDIRECTORIES}")
foreach(left_out IN LISTS real_PARTS real_SUBDIRECTORIES)
  file(GLOB_RECURSE has_code "${engine}/${left_out}/*.cc")
  if(NOT has_code)
    continue()
  endif()
  set(parts ${real_PARTS})
  set(subdirs ${real_SUBDIRECTORIES})
  list(REMOVE_ITEM parts ${left_out})
  list(REMOVE_ITEM subdirs ${left_out})
  expect_refusal("engine/ without ${left_out} in its lists" "${engine}" "${parts}" "${subdirs}"
                 NAMING "engine/${left_out} holds .cc files")
endforeach()

# --- A made-up engine/.
set(fake "${WORK_DIR}/engine")
file(REMOVE_RECURSE "${WORK_DIR}")
file(WRITE "${fake}/alpha/a.cc" "")
file(WRITE "${fake}/alpha/sources.cmake" "")
file(WRITE "${fake}/beta/CMakeLists.txt" "")
file(WRITE "${fake}/beta/nested/deeper/b.cc" "")
file(WRITE "${fake}/assets/readme.txt" "")  # no code: needs no entry
file(WRITE "${fake}/headers/only.h" "")
file(WRITE "${fake}/top.cc" "")             # not in a folder

expect_pass("every folder with code listed" "${fake}" "alpha" "beta")
expect_refusal("a part's folder left out" "${fake}" "" "beta"
               NAMING "engine/alpha holds .cc files" NOT_NAMING "engine/beta" "engine/assets" "engine/headers")
expect_refusal("a subdirectory left out (code only in a nested folder)" "${fake}" "alpha" ""
               NAMING "engine/beta holds .cc files" NOT_NAMING "engine/alpha")
file(WRITE "${fake}/gamma/g.cc" "")
file(WRITE "${fake}/delta/d.cc" "")
expect_refusal("two new folders" "${fake}" "alpha" "beta"
               NAMING "engine/gamma holds .cc files" "engine/delta holds .cc files" NOT_NAMING "engine/alpha" "engine/beta")
file(REMOVE_RECURSE "${fake}/gamma" "${fake}/delta")
expect_refusal("a part without sources.cmake" "${fake}" "alpha;headers" "beta"
               NAMING "engine/headers is listed as a part but has no sources.cmake")
expect_refusal("a subdirectory without CMakeLists.txt" "${fake}" "alpha" "beta;assets"
               NAMING "engine/assets is listed as a subdirectory but has no CMakeLists.txt")
file(REMOVE_RECURSE "${WORK_DIR}")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} check(s) failed")
endif()
