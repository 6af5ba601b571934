# Opening SOCI sessions from a database URL: shared by the engine and the
# bundled sql-storage plugin.
add_library(tether_sql_connect STATIC ${CMAKE_CURRENT_LIST_DIR}/sql_connect.cc)
tether_strict(tether_sql_connect)
target_link_libraries(tether_sql_connect PUBLIC tether::sdk tether_common SOCI::core
                      PRIVATE SOCI::sqlite3 SOCI::postgresql)
set_target_properties(tether_sql_connect PROPERTIES CXX_VISIBILITY_PRESET hidden)
target_link_libraries(tether_engine PUBLIC tether_sql_connect)

target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/database.cc
  ${CMAKE_CURRENT_LIST_DIR}/project_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_store.cc)
