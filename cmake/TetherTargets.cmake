# Helpers shared by every target of the project.

# Our own code builds with warnings as errors; third-party headers come in as
# system includes and do not count.
# (Not as errors in the fuzzing build, which uses clang: g++ is the judge.)
function(tether_strict target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(NOT TETHER_FUZZ)
    target_compile_options(${target} PRIVATE -Werror -Wno-error=deprecated-declarations)
  endif()
  # With sanitizers g++ warns about maybe-uninitialized values inside
  # libstdc++ (std::regex, std::function) that are not: its documentation
  # lists this false positive. The normal build still checks our code.
  if(TETHER_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()

include(TetherPluginWall)

# A plugin: a MODULE library named lib<name>.so in the plugin folder of the
# build tree and of the install. Its include path holds the SDK and its own
# folder (plus what it links: shared/, git-common/), never engine/; a source
# that includes an engine header anyway fails the configure step.
function(tether_add_plugin target name)
  tether_check_plugin_wall(${name} "${CMAKE_CURRENT_SOURCE_DIR}")
  add_library(${target} MODULE ${ARGN})
  tether_strict(${target})
  target_include_directories(${target} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}")
  target_link_libraries(${target} PRIVATE tether::sdk)
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME "${name}"
    LIBRARY_OUTPUT_DIRECTORY "${TETHER_PLUGIN_OUTPUT_DIR}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  install(TARGETS ${target} LIBRARY DESTINATION "${TETHER_PLUGIN_INSTALL_DIR}")
  set_property(GLOBAL APPEND PROPERTY TETHER_PLUGIN_TARGETS ${target})
endfunction()
