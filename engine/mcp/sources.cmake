target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/protocol.cc
  ${CMAKE_CURRENT_LIST_DIR}/stdio.cc
  ${CMAKE_CURRENT_LIST_DIR}/tools.cc)
