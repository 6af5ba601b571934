# The migration toolchain: the runner, the SQL splitter, the safety
# classifier and the protected-column check.
target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/migrations.cc
  ${CMAKE_CURRENT_LIST_DIR}/sql_script.cc
  ${CMAKE_CURRENT_LIST_DIR}/migration_classifier.cc
  ${CMAKE_CURRENT_LIST_DIR}/protected_columns.cc)
