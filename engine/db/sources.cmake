target_link_libraries(tether_engine PUBLIC tether_shared_sql)

target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/database.cc
  ${CMAKE_CURRENT_LIST_DIR}/project_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/event_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/verify_report_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/worker_store.cc)
