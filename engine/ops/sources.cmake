target_sources(tether_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/integrity.cc ${CMAKE_CURRENT_LIST_DIR}/doctor.cc)
