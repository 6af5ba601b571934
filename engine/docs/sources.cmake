target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/docs_site.cc
  ${CMAKE_CURRENT_LIST_DIR}/docs_export.cc
  ${CMAKE_CURRENT_LIST_DIR}/repo_map.cc)
target_link_libraries(tether_engine PRIVATE PkgConfig::CMARK)
