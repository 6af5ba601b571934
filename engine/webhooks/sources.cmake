target_sources(tether_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/github_webhook.cc)
target_link_libraries(tether_engine PRIVATE OpenSSL::Crypto)
