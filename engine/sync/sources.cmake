target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/cancellation.cc
  ${CMAKE_CURRENT_LIST_DIR}/change_feed.cc
  ${CMAKE_CURRENT_LIST_DIR}/change_set.cc
  ${CMAKE_CURRENT_LIST_DIR}/change_writer.cc
  ${CMAKE_CURRENT_LIST_DIR}/content_rules.cc
  ${CMAKE_CURRENT_LIST_DIR}/event_log.cc
  ${CMAKE_CURRENT_LIST_DIR}/lease_keeper.cc
  ${CMAKE_CURRENT_LIST_DIR}/lease_owner.cc
  ${CMAKE_CURRENT_LIST_DIR}/pipeline.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_recovery.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_states.cc
  ${CMAKE_CURRENT_LIST_DIR}/stored_cursor.cc
  ${CMAKE_CURRENT_LIST_DIR}/sync_event.cc
  ${CMAKE_CURRENT_LIST_DIR}/sync_runner.cc
  ${CMAKE_CURRENT_LIST_DIR}/tree_diff.cc)
