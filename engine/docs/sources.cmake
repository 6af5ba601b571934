target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/docs_pages.cc
  ${CMAKE_CURRENT_LIST_DIR}/docs_export.cc)
target_link_libraries(tether_engine PRIVATE PkgConfig::CMARK "${CMARK_GFM_EXTENSIONS_LIBRARY}")
