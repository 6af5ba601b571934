target_sources(tether_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/sql_script.cc)
target_link_libraries(tether_engine PUBLIC tether_shared_sql)

target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/database.cc
  ${CMAKE_CURRENT_LIST_DIR}/migrations.cc
  ${CMAKE_CURRENT_LIST_DIR}/project_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_store.cc)
target_sources(tether_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/migration_classifier.cc)
target_sources(tether_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/protected_columns.cc)
