target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/analysis_rules.cc
  ${CMAKE_CURRENT_LIST_DIR}/analysis_sink.cc
  ${CMAKE_CURRENT_LIST_DIR}/analyze_project.cc
  ${CMAKE_CURRENT_LIST_DIR}/collect_unused.cc
  ${CMAKE_CURRENT_LIST_DIR}/repository_run.cc)
