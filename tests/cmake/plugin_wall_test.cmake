# The plugin wall's check, run as a script: plugin sources that include an
# engine header (directly or by climbing out with "..") are named with file
# and line; SDK, shared/, git-common/ and own headers pass. Then the real
# plugins/ folder must pass, so that a regression there fails this test too.
# Usage: cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch dir> -P plugin_wall_test.cmake
include("${SOURCE_DIR}/cmake/TetherPluginWall.cmake")

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/bad" "${WORK_DIR}/good")
file(WRITE "${WORK_DIR}/bad/direct.cc"
     "#include \"tether/provider.h\"\n\n#include \"engine/common/paths.h\"\nint x;\n")
file(WRITE "${WORK_DIR}/bad/climb.h" "#pragma once\n  #  include \"../../engine/db/database.h\"\n")
file(WRITE "${WORK_DIR}/bad/angle.cc" "#include <engine/sync/pipeline.h>\n")
file(WRITE "${WORK_DIR}/good/ok.cc"
     "#include \"tether/storage.h\"\n#include \"shared/clock.h\"\n#include \"git-common/tree_diff.h\"\n"
     "#include \"settings.h\"\n#include <string>\n// #include engine/ in a comment is no include\n")

tether_plugin_wall_violations(bad "${WORK_DIR}/bad/direct.cc" "${WORK_DIR}/bad/climb.h" "${WORK_DIR}/bad/angle.cc")
set(expected
  "${WORK_DIR}/bad/direct.cc:3: #include \"engine/common/paths.h\""
  "${WORK_DIR}/bad/climb.h:2: #include \"../../engine/db/database.h\""
  "${WORK_DIR}/bad/angle.cc:1: #include \"engine/sync/pipeline.h\"")
if(NOT bad STREQUAL expected)
  message(FATAL_ERROR "violations found:\n${bad}\nexpected:\n${expected}")
endif()

tether_plugin_wall_violations(good "${WORK_DIR}/good/ok.cc")
if(good)
  message(FATAL_ERROR "an allowed include was refused: ${good}")
endif()

file(GLOB_RECURSE plugin_files "${SOURCE_DIR}/plugins/*.h" "${SOURCE_DIR}/plugins/*.cc")
list(LENGTH plugin_files count)
if(count LESS 20)
  message(FATAL_ERROR "found only ${count} plugin sources under ${SOURCE_DIR}/plugins")
endif()
tether_plugin_wall_violations(real ${plugin_files})
if(real)
  list(JOIN real "\n  " text)
  message(FATAL_ERROR "plugins include engine headers:\n  ${text}")
endif()

# The storage wall: SQL in the engine that names a storage table is named;
# JSON keys, comments and other tables pass; the real engine/ passes.
file(WRITE "${WORK_DIR}/engine_bad.cc"
     "  db << \"SELECT COUNT(*) FROM documents WHERE project_id = :p\";\n"
     "  db << \"UPDATE storage_cursors SET commit_id = :c\";\n"
     "  db << \"SELECT p.name FROM projects p JOIN documents d ON d.project_id = p.id\";\n")
file(WRITE "${WORK_DIR}/engine_good.cc"
     "  json.BeginArray(\"documents\");\n"
     "  // ALTER TABLE documents DROP COLUMN legacy_col (an example in a comment)\n"
     "  db << \"SELECT COUNT(*) FROM documents_archive\";\n"
     "  db << \"DELETE FROM project_syncs WHERE project_id = :id\";\n")
tether_storage_table_violations(bad_sql "${WORK_DIR}/engine_bad.cc")
list(LENGTH bad_sql bad_count)
if(NOT bad_count EQUAL 3)
  message(FATAL_ERROR "expected 3 lines naming storage tables, found ${bad_count}: ${bad_sql}")
endif()
tether_storage_table_violations(good_sql "${WORK_DIR}/engine_good.cc")
if(good_sql)
  message(FATAL_ERROR "lines that name no storage table were refused: ${good_sql}")
endif()
file(GLOB_RECURSE engine_files "${SOURCE_DIR}/engine/*.h" "${SOURCE_DIR}/engine/*.cc")
tether_storage_table_violations(engine_sql ${engine_files})
if(engine_sql)
  list(JOIN engine_sql "\n  " text)
  message(FATAL_ERROR "the engine names storage tables:\n  ${text}")
endif()
message(STATUS "plugin wall: 3 violations named, allowed includes pass, ${count} plugin files clean; "
               "storage wall: 3 SQL lines named, engine clean")
