# tether_check_engine_layout(<engine dir> PARTS <part>... SUBDIRECTORIES <dir>...)
#
# Every folder of engine/ that holds .cc files (at any depth) must be built:
# either as a part, whose <part>/sources.cmake adds its sources to
# tether_engine, or as a subdirectory with a CMakeLists.txt of its own. A
# folder in neither list would silently drop out of the build; this stops
# the configure instead, naming every such folder, and names a listed folder
# that lacks its sources.cmake or CMakeLists.txt.
#
# In a configure the glob is CONFIGURE_DEPENDS: adding a folder with .cc
# files re-runs the check on the next build. Also usable from a script
# (cmake -P), as tests/cmake/engine_layout_test.cmake does.
function(tether_check_engine_layout engine_dir)
  cmake_parse_arguments(L "" "" "PARTS;SUBDIRECTORIES" ${ARGN})
  set(depends CONFIGURE_DEPENDS)
  if(CMAKE_SCRIPT_MODE_FILE)
    set(depends "")  # not allowed in script mode
  endif()
  file(GLOB_RECURSE sources LIST_DIRECTORIES false RELATIVE "${engine_dir}" ${depends} "${engine_dir}/*.cc")
  set(folders "")
  foreach(source IN LISTS sources)
    if(source MATCHES "^([^/]+)/")
      list(APPEND folders "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES folders)
  list(SORT folders)

  set(problems "")
  foreach(folder IN LISTS folders)
    if(NOT folder IN_LIST L_PARTS AND NOT folder IN_LIST L_SUBDIRECTORIES)
      string(APPEND problems
        "\n  engine/${folder} holds .cc files but is neither a part (TETHER_ENGINE_PARTS) nor a"
        " subdirectory (TETHER_ENGINE_SUBDIRECTORIES) in engine/CMakeLists.txt: its code would"
        " not be built. Add it to one of the two lists.")
    endif()
  endforeach()
  foreach(part IN LISTS L_PARTS)
    if(NOT EXISTS "${engine_dir}/${part}/sources.cmake")
      string(APPEND problems "\n  engine/${part} is listed as a part but has no sources.cmake.")
    endif()
  endforeach()
  foreach(dir IN LISTS L_SUBDIRECTORIES)
    if(NOT EXISTS "${engine_dir}/${dir}/CMakeLists.txt")
      string(APPEND problems "\n  engine/${dir} is listed as a subdirectory but has no CMakeLists.txt.")
    endif()
  endforeach()
  if(problems)
    message(FATAL_ERROR "The folders of engine/ and engine/CMakeLists.txt disagree:${problems}")
  endif()
endfunction()
