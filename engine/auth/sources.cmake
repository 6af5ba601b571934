# engine/auth: API tokens (created by `tether token`, checked by `tether serve`).
target_sources(tether_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/token_store.cc)
target_sources(tether_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/tenant_session.cc)
