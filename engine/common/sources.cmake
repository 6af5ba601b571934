# engine/common: small utilities of the engine (paths, SHA-256, a bounded
# queue, the JSON writer), as a static library of its own for tests and
# fuzz targets. What the bundled plugins share with the engine is in shared/.
add_library(tether_common STATIC
  ${CMAKE_CURRENT_LIST_DIR}/edit_distance.cc
  ${CMAKE_CURRENT_LIST_DIR}/human_units.cc
  ${CMAKE_CURRENT_LIST_DIR}/paths.cc
  ${CMAKE_CURRENT_LIST_DIR}/sha256.cc
  ${CMAKE_CURRENT_LIST_DIR}/utf8.cc)
tether_strict(tether_common)
target_include_directories(tether_common PUBLIC "${CMAKE_SOURCE_DIR}")
target_link_libraries(tether_common PUBLIC tether_shared PRIVATE OpenSSL::Crypto)
target_compile_definitions(tether_common PRIVATE TETHER_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
set_target_properties(tether_common PROPERTIES CXX_VISIBILITY_PRESET hidden)
target_link_libraries(tether_engine PUBLIC tether_common)
