target_sources(tether_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/sql_script.cc)
target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/database.cc
  ${CMAKE_CURRENT_LIST_DIR}/migrations.cc
  ${CMAKE_CURRENT_LIST_DIR}/project_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_store.cc)
