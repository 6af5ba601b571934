# The plugin templates of samples/ embedded in tether as raw string
# literals of a generated source (plugin_templates.h), like the web page:
# `tether plugins new` writes them without any file installed beside it.
# A change to a template's files, or a file added, reconfigures.
set(_tether_templates provider:folder-snapshot:plugin-template analyzer:todo-analyzer:analyzer-template
    storage:sqlite-file-storage:storage-template)
set(TETHER_TEMPLATE_DEFINITIONS "")
set(TETHER_TEMPLATE_ENTRIES "")
set(_tether_template_index 0)
foreach(_template IN LISTS _tether_templates)
  string(REPLACE ":" ";" _parts "${_template}")
  list(GET _parts 0 _kind)
  list(GET _parts 1 _name)
  list(GET _parts 2 _folder)
  set(_dir "${CMAKE_SOURCE_DIR}/samples/${_folder}")
  file(GLOB _files CONFIGURE_DEPENDS RELATIVE "${_dir}" "${_dir}/*")
  list(SORT _files)
  string(APPEND TETHER_TEMPLATE_ENTRIES "      {\"${_kind}\", \"${_name}\", {\n")
  foreach(_file IN LISTS _files)
    file(READ "${_dir}/${_file}" _text)
    string(FIND "${_text}" ")tether_template\"" _delim)
    if(NOT _delim EQUAL -1)
      message(FATAL_ERROR "${_dir}/${_file} contains the raw string delimiter )tether_template\"")
    endif()
    if(_file MATCHES "\\.sh$")
      set(_executable true)
    else()
      set(_executable false)
    endif()
    string(APPEND TETHER_TEMPLATE_DEFINITIONS
           "constexpr char kFile${_tether_template_index}[] = R\"tether_template(${_text})tether_template\";\n")
    string(APPEND TETHER_TEMPLATE_ENTRIES
           "          {\"${_file}\", std::string_view(kFile${_tether_template_index}, "
           "sizeof(kFile${_tether_template_index}) - 1), ${_executable}},\n")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_dir}/${_file}")
    math(EXPR _tether_template_index "${_tether_template_index} + 1")
  endforeach()
  string(APPEND TETHER_TEMPLATE_ENTRIES "      }},\n")
endforeach()
configure_file("${CMAKE_CURRENT_SOURCE_DIR}/plugin_templates_text.cc.in"
               "${CMAKE_CURRENT_BINARY_DIR}/plugin_templates_text.cc" @ONLY)
target_sources(tether PRIVATE "${CMAKE_CURRENT_BINARY_DIR}/plugin_templates_text.cc")
