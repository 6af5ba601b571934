# The migration toolchain: the runner, the SQL splitter, the safety
# classifier (migration_classifier.h and the parts it is built from) and the
# protected-column check.
target_sources(tether_engine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/migrations.cc
  ${CMAKE_CURRENT_LIST_DIR}/sql_script.cc
  ${CMAKE_CURRENT_LIST_DIR}/migration_classifier.cc
  ${CMAKE_CURRENT_LIST_DIR}/findings.cc
  ${CMAKE_CURRENT_LIST_DIR}/sql_tokens.cc
  ${CMAKE_CURRENT_LIST_DIR}/select_list.cc
  ${CMAKE_CURRENT_LIST_DIR}/statement_rules.cc
  ${CMAKE_CURRENT_LIST_DIR}/statement_rules_drop.cc
  ${CMAKE_CURRENT_LIST_DIR}/statement_rules_rows.cc
  ${CMAKE_CURRENT_LIST_DIR}/statement_rules_create.cc
  ${CMAKE_CURRENT_LIST_DIR}/statement_rules_alter_table.cc
  ${CMAKE_CURRENT_LIST_DIR}/rebuild_detection.cc
  ${CMAKE_CURRENT_LIST_DIR}/acknowledgements.cc
  ${CMAKE_CURRENT_LIST_DIR}/protected_columns.cc)
