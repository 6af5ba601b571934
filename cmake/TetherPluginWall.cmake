# The plugin wall: a plugin's code includes the SDK ("tether/..."), its own
# headers, shared/ and git-common/ -- never the engine's. Include paths alone
# do not enforce it (a quoted include is also looked up beside the including
# file, so "../../engine/x.h" would work), so tether_add_plugin reads every
# source and header in the plugin's folder and refuses an include that names
# engine/ or climbs out of the folder with "..".
#
# Usable from a script too (cmake -P), which is how the test checks it.

# Sets `out_var` to the lines of `file`, as a CMake list: semicolons in the
# text are written as "<semicolon>", so that they split nothing.
function(tether_read_lines out_var file)
  file(READ "${file}" content)
  string(REPLACE "\\" "<backslash>" content "${content}")
  string(REPLACE ";" "<semicolon>" content "${content}")
  string(REPLACE "[" "<bracket>" content "${content}")
  string(REPLACE "\n" ";" content "${content}")
  set(${out_var} "${content}" PARENT_SCOPE)
endfunction()

# Sets `out_var` to one line "<file>:<line>: #include ..." per forbidden
# include in `files` (empty when there is none).
function(tether_plugin_wall_violations out_var)
  set(violations "")
  foreach(file IN LISTS ARGN)
    tether_read_lines(lines "${file}")
    set(number 0)
    foreach(line IN LISTS lines)
      math(EXPR number "${number} + 1")
      if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*[\"<]([^\">]*)[\">]")
        set(target "${CMAKE_MATCH_1}")
        if(target MATCHES "^engine/" OR target MATCHES "(^|/)\\.\\.(/|$)")
          list(APPEND violations "${file}:${number}: #include \"${target}\"")
        endif()
      endif()
    endforeach()
  endforeach()
  set(${out_var} "${violations}" PARENT_SCOPE)
endfunction()

# FATAL_ERROR naming every forbidden include of the plugin in `dir`.
function(tether_check_plugin_wall name dir)
  file(GLOB_RECURSE files "${dir}/*.h" "${dir}/*.hh" "${dir}/*.hpp" "${dir}/*.cc" "${dir}/*.cpp")
  tether_plugin_wall_violations(violations ${files})
  if(violations)
    list(JOIN violations "\n  " text)
    message(FATAL_ERROR "plugin ${name} includes engine headers; plugins see only the SDK, "
                        "shared/ and their own folder:\n  ${text}")
  endif()
endfunction()

# The storage wall: the tables a storage plugin keeps (sql-storage's
# `documents` and `storage_cursors`) are named in SQL by that plugin and by
# migrations only; the engine reads them through the Storage interface.
# Sets `out_var` to one line "<file>:<line>: <statement text>" per engine
# line outside a // comment that names one after FROM, INTO, UPDATE, JOIN
# or TABLE.
set(TETHER_STORAGE_TABLES documents storage_cursors analysis_results analysis_symbols analysis_outputs analysis_steps analysis_step_files storage_fences documents_text analysis_vectors)
function(tether_storage_table_violations out_var)
  list(JOIN TETHER_STORAGE_TABLES "|" tables)
  set(violations "")
  foreach(file IN LISTS ARGN)
    tether_read_lines(lines "${file}")
    set(number 0)
    foreach(line IN LISTS lines)
      math(EXPR number "${number} + 1")
      if(line MATCHES "^[ \t]*//")
        continue()
      endif()
      if(line MATCHES "(FROM|INTO|UPDATE|JOIN|TABLE)[ \t]+(${tables})([^A-Za-z0-9_]|$)")
        string(STRIP "${line}" text)
        list(APPEND violations "${file}:${number}: ${text}")
      endif()
    endforeach()
  endforeach()
  set(${out_var} "${violations}" PARENT_SCOPE)
endfunction()

# FATAL_ERROR naming every engine line that names a storage table.
function(tether_check_storage_wall dir)
  file(GLOB_RECURSE files "${dir}/*.h" "${dir}/*.cc")
  tether_storage_table_violations(violations ${files})
  if(violations)
    list(JOIN violations "\n  " text)
    message(FATAL_ERROR "the engine names a storage plugin's tables; read them through the Storage "
                        "interface (sdk/include/tether/storage.h):\n  ${text}")
  endif()
endfunction()
