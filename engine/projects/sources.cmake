target_sources(tether_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/project_service.cc ${CMAKE_CURRENT_LIST_DIR}/branch_name.cc)
