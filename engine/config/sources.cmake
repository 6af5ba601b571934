# The engine's configuration (engine/config). The JSON Schema lives in
# config.schema.json; it is embedded in the binary as a raw string literal in
# a generated source file, copied into the build tree's share/tether (the
# build tree is laid out like an install) and installed next to it.
set(TETHER_CONFIG_SCHEMA_FILE "${CMAKE_CURRENT_LIST_DIR}/config.schema.json")
set(TETHER_CONFIG_SCHEMA_CC "${CMAKE_CURRENT_BINARY_DIR}/config/config_schema.cc")

file(READ "${TETHER_CONFIG_SCHEMA_FILE}" TETHER_CONFIG_SCHEMA_TEXT)
string(FIND "${TETHER_CONFIG_SCHEMA_TEXT}" ")tether_schema\"" _tether_schema_delim)
if(NOT _tether_schema_delim EQUAL -1)
  message(FATAL_ERROR "${TETHER_CONFIG_SCHEMA_FILE} contains the raw string "
                      "delimiter )tether_schema\" and cannot be embedded")
endif()
# Re-run the configure step (and so regenerate the .cc) when the schema changes.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${TETHER_CONFIG_SCHEMA_FILE}")
configure_file("${CMAKE_CURRENT_LIST_DIR}/config_schema.cc.in" "${TETHER_CONFIG_SCHEMA_CC}" @ONLY)
configure_file("${TETHER_CONFIG_SCHEMA_FILE}"
               "${CMAKE_BINARY_DIR}/share/tether/config.schema.json" COPYONLY)

target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/config.cc
  ${CMAKE_CURRENT_LIST_DIR}/env_expand.cc
  ${CMAKE_CURRENT_LIST_DIR}/json_checks.cc
  ${CMAKE_CURRENT_LIST_DIR}/json_pointer.cc
  ${CMAKE_CURRENT_LIST_DIR}/schema_errors.cc
  ${TETHER_CONFIG_SCHEMA_CC})

install(FILES "${TETHER_CONFIG_SCHEMA_FILE}" DESTINATION "${CMAKE_INSTALL_DATADIR}/tether")
