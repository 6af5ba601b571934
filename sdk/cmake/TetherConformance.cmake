# tether_add_conformance_test: the conformance kit as a test of the
# plugin's own build (CTest), the same run as `tether plugins test`.
#
#   tether_add_conformance_test(NAME my-provider
#                               PLUGIN my_provider            # a target of this build, or a .so path
#                               ADAPTER ${CMAKE_CURRENT_SOURCE_DIR}/adapter.sh   # a provider's
#                               [INPUTS ${CMAKE_CURRENT_SOURCE_DIR}/corpus]      # an analyzer's own files
#                               [SETTINGS "{\"token_env\": \"T\"}"])
#
# Adds the test "conformance: NAME", which fails when any contract breaks
# and prints the kit's report: each contract with the call that broke it.
# The tether binary is the installation's (TETHER_EXECUTABLE to choose
# another); TETHER_CONFORMANCE_GIT_ADAPTER names the adapter for providers
# of git repositories.
function(tether_add_conformance_test)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "NAME;PLUGIN;ADAPTER;INPUTS;SETTINGS" "")
  foreach(required NAME PLUGIN)
    if(NOT ARG_${required})
      message(FATAL_ERROR "tether_add_conformance_test: ${required} is required")
    endif()
  endforeach()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "tether_add_conformance_test: unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TETHER_EXECUTABLE)
    find_program(TETHER_EXECUTABLE tether HINTS "${TETHER_SDK_BINDIR}" NO_DEFAULT_PATH)
    find_program(TETHER_EXECUTABLE tether)
  endif()
  if(NOT TETHER_EXECUTABLE)
    message(FATAL_ERROR "tether_add_conformance_test: no tether binary in ${TETHER_SDK_BINDIR} or on PATH; "
                        "set TETHER_EXECUTABLE")
  endif()
  if(TARGET "${ARG_PLUGIN}")
    set(plugin "$<TARGET_FILE:${ARG_PLUGIN}>")
  else()
    set(plugin "${ARG_PLUGIN}")
  endif()
  set(command "${TETHER_EXECUTABLE}" plugins test "${plugin}")
  if(ARG_ADAPTER)
    list(APPEND command --adapter "${ARG_ADAPTER}")
  endif()
  if(ARG_INPUTS)
    list(APPEND command --inputs "${ARG_INPUTS}")
  endif()
  if(DEFINED ARG_SETTINGS)
    list(APPEND command --settings "${ARG_SETTINGS}")
  endif()
  add_test(NAME "conformance: ${ARG_NAME}" COMMAND ${command})
endfunction()
