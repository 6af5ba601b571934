target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/analyzer_kit.cc
  ${CMAKE_CURRENT_LIST_DIR}/fixture_adapter.cc
  ${CMAKE_CURRENT_LIST_DIR}/provider_kit.cc
  ${CMAKE_CURRENT_LIST_DIR}/report.cc
  ${CMAKE_CURRENT_LIST_DIR}/step_kit.cc
  ${CMAKE_CURRENT_LIST_DIR}/storage_kit.cc
  ${CMAKE_CURRENT_LIST_DIR}/storage_kit_atomicity.cc
  ${CMAKE_CURRENT_LIST_DIR}/storage_kit_derived.cc)

# The adapter for providers of git repositories, for plugin authors.
install(PROGRAMS ${CMAKE_CURRENT_LIST_DIR}/adapters/git-adapter.sh
        DESTINATION "${CMAKE_INSTALL_DATADIR}/tether/conformance")
