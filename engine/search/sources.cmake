target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/search.cc
  ${CMAKE_CURRENT_LIST_DIR}/semantic_index.cc
  ${CMAKE_CURRENT_LIST_DIR}/semantic_search.cc)
