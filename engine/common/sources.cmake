# engine/common: small utilities (paths, clock, SHA-256, percent-encoding) shared by the engine
# and the bundled plugins, as a static library of its own.
add_library(tether_common STATIC
  ${CMAKE_CURRENT_LIST_DIR}/paths.cc
  ${CMAKE_CURRENT_LIST_DIR}/percent_encoding.cc
  ${CMAKE_CURRENT_LIST_DIR}/sha256.cc
  ${CMAKE_CURRENT_LIST_DIR}/clock.cc)
tether_strict(tether_common)
target_include_directories(tether_common PUBLIC "${CMAKE_SOURCE_DIR}")
target_link_libraries(tether_common PRIVATE OpenSSL::Crypto)
target_compile_definitions(tether_common PRIVATE TETHER_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
set_target_properties(tether_common PROPERTIES CXX_VISIBILITY_PRESET hidden)
target_link_libraries(tether_engine PUBLIC tether_common)
