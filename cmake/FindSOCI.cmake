# Finds SOCI (Debian ships no CMake config for it).
#
# Components: sqlite3, postgresql (backends). Defines imported targets
# SOCI::core and SOCI::<component>, and SOCI_FOUND. With postgresql, also
# SOCI::postgresql_headers (SOCI's and libpq's headers, nothing linked: for
# code that loads the backend and libpq at run time) and the sonames to load,
# SOCI_postgresql_SONAME and SOCI_LIBPQ_SONAME (e.g. libsoci_postgresql.so.4.0
# and libpq.so.5, read from the libraries found).
include(TetherSoname)

find_path(SOCI_INCLUDE_DIR soci/soci.h)
find_library(SOCI_CORE_LIBRARY NAMES soci_core)
set(_soci_required SOCI_INCLUDE_DIR SOCI_CORE_LIBRARY)

if(SOCI_INCLUDE_DIR AND EXISTS "${SOCI_INCLUDE_DIR}/soci/version.h")
  file(STRINGS "${SOCI_INCLUDE_DIR}/soci/version.h" _soci_ver REGEX "^#define SOCI_VERSION [0-9]+")
  string(REGEX REPLACE "^#define SOCI_VERSION ([0-9]+).*" "\\1" _soci_ver "${_soci_ver}")
  math(EXPR _major "${_soci_ver} / 100000")
  math(EXPR _minor "${_soci_ver} / 100 % 1000")
  math(EXPR _patch "${_soci_ver} % 100")
  set(SOCI_VERSION "${_major}.${_minor}.${_patch}")
endif()

foreach(_comp IN LISTS SOCI_FIND_COMPONENTS)
  find_library(SOCI_${_comp}_LIBRARY NAMES soci_${_comp})
  if(SOCI_${_comp}_LIBRARY)
    set(SOCI_${_comp}_FOUND TRUE)
  endif()
endforeach()
# SOCI's PostgreSQL header includes libpq's.
if("postgresql" IN_LIST SOCI_FIND_COMPONENTS)
  find_path(SOCI_LIBPQ_INCLUDE_DIR libpq-fe.h PATH_SUFFIXES postgresql)
  find_library(SOCI_LIBPQ_LIBRARY NAMES pq)
  if(NOT SOCI_LIBPQ_INCLUDE_DIR OR NOT SOCI_LIBPQ_LIBRARY)
    set(SOCI_postgresql_FOUND FALSE)
  endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SOCI
  REQUIRED_VARS ${_soci_required}
  VERSION_VAR SOCI_VERSION
  HANDLE_COMPONENTS)

if(SOCI_FOUND AND NOT TARGET SOCI::core)
  add_library(SOCI::core UNKNOWN IMPORTED)
  set_target_properties(SOCI::core PROPERTIES
    IMPORTED_LOCATION "${SOCI_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${CMAKE_DL_LIBS}")
  foreach(_comp IN LISTS SOCI_FIND_COMPONENTS)
    if(SOCI_${_comp}_FOUND)
      add_library(SOCI::${_comp} UNKNOWN IMPORTED)
      set_target_properties(SOCI::${_comp} PROPERTIES
        IMPORTED_LOCATION "${SOCI_${_comp}_LIBRARY}"
        INTERFACE_LINK_LIBRARIES SOCI::core)
      if(_comp STREQUAL "postgresql")
        set_property(TARGET SOCI::postgresql APPEND PROPERTY
          INTERFACE_INCLUDE_DIRECTORIES "${SOCI_LIBPQ_INCLUDE_DIR}")
        set_property(TARGET SOCI::postgresql APPEND PROPERTY
          INTERFACE_LINK_LIBRARIES "${SOCI_LIBPQ_LIBRARY}")
      endif()
    endif()
  endforeach()
endif()


if(SOCI_FOUND AND SOCI_postgresql_FOUND AND NOT TARGET SOCI::postgresql_headers)
  add_library(SOCI::postgresql_headers INTERFACE IMPORTED)
  set_target_properties(SOCI::postgresql_headers PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR};${SOCI_LIBPQ_INCLUDE_DIR}")
  tether_soname("${SOCI_postgresql_LIBRARY}" SOCI_postgresql_SONAME)
  tether_soname("${SOCI_LIBPQ_LIBRARY}" SOCI_LIBPQ_SONAME)
endif()
mark_as_advanced(SOCI_INCLUDE_DIR SOCI_CORE_LIBRARY)
