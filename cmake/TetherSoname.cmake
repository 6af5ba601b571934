# tether_soname(LIBRARY OUT): the SONAME of the shared library file LIBRARY
# (what the dynamic loader looks for: libcurl.so.4 for libcurl.so), for the
# libraries Tether loads with dlopen rather than links.
function(tether_soname library out)
  get_filename_component(_real "${library}" REALPATH)
  set(_soname "")
  if(CMAKE_OBJDUMP)
    execute_process(COMMAND "${CMAKE_OBJDUMP}" -p "${_real}" OUTPUT_VARIABLE _dump ERROR_QUIET)
    string(REGEX MATCH "SONAME +([^ \n]+)" _match "${_dump}")
    set(_soname "${CMAKE_MATCH_1}")
  endif()
  if(NOT _soname)
    get_filename_component(_soname "${_real}" NAME)
  endif()
  set(${out} "${_soname}" PARENT_SCOPE)
endfunction()
