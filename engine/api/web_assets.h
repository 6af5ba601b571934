// The files of the web page (engine/api/web/), embedded in the binary at
// build time: index.html is served at / and every file at /assets/<name>.
// Nothing is read from disk, so no request path can reach a file that is
// not in this list.
//
// Thread safety: immutable static data; safe from any thread.
#ifndef TETHER_ENGINE_API_WEB_ASSETS_H_
#define TETHER_ENGINE_API_WEB_ASSETS_H_

#include <string_view>
#include <vector>

namespace tether::api {

struct WebAsset {
  std::string_view name;          // "app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view etag;          // a strong ETag, quotes included
  std::string_view body;
};

// Every file, in a fixed order. Static storage.
const std::vector<WebAsset>& WebAssets();

// The file called `name` exactly; nullptr when there is none.
inline const WebAsset* FindWebAsset(std::string_view name) {
  for (const WebAsset& asset : WebAssets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

}  // namespace tether::api

#endif  // TETHER_ENGINE_API_WEB_ASSETS_H_
