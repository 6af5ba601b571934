# The web page served at / (engine/api/web/*): plain HTML, CSS and
# JavaScript embedded in the binary as raw string literals of a generated
# source, like openapi.json, so the server needs no files at run time and
# no build step touches them. Each file gets an ETag (a prefix of its
# SHA-256) for conditional requests. Included by engine/api/CMakeLists.txt
# after tether_api is defined.
set(_tether_web_dir "${CMAKE_CURRENT_SOURCE_DIR}/web")
set(_tether_web_files index.html app.js style.css icon.svg)
set(TETHER_WEB_DEFINITIONS "")
set(TETHER_WEB_ENTRIES "")
set(_tether_web_index 0)
foreach(_name IN LISTS _tether_web_files)
  set(_path "${_tether_web_dir}/${_name}")
  file(READ "${_path}" _text)
  string(FIND "${_text}" ")tether_web\"" _delim)
  if(NOT _delim EQUAL -1)
    message(FATAL_ERROR "${_path} contains the raw string delimiter )tether_web\"")
  endif()
  file(SHA256 "${_path}" _hash)
  string(SUBSTRING "${_hash}" 0 20 _hash)
  if(_name MATCHES "\\.html$")
    set(_type "text/html; charset=utf-8")
  elseif(_name MATCHES "\\.js$")
    set(_type "text/javascript; charset=utf-8")
  elseif(_name MATCHES "\\.css$")
    set(_type "text/css; charset=utf-8")
  elseif(_name MATCHES "\\.svg$")
    set(_type "image/svg+xml")
  else()
    message(FATAL_ERROR "${_path}: no content type for this kind of file")
  endif()
  string(APPEND TETHER_WEB_DEFINITIONS
         "constexpr char kBody${_tether_web_index}[] = R\"tether_web(${_text})tether_web\";\n")
  string(APPEND TETHER_WEB_ENTRIES
         "      {\"${_name}\", \"${_type}\", \"\\\"${_hash}\\\"\", "
         "std::string_view(kBody${_tether_web_index}, sizeof(kBody${_tether_web_index}) - 1)},\n")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_path}")
  math(EXPR _tether_web_index "${_tether_web_index} + 1")
endforeach()
configure_file("${_tether_web_dir}/web_assets_text.cc.in" "${CMAKE_CURRENT_BINARY_DIR}/web_assets_text.cc" @ONLY)
target_sources(tether_api PRIVATE
  "${CMAKE_CURRENT_SOURCE_DIR}/api_web.cc"
  "${CMAKE_CURRENT_BINARY_DIR}/web_assets_text.cc")
