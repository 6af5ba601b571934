# engine/log: the engine's log lines (text or JSON) on stderr.
target_sources(tether_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/log.cc)
