// RestCache: what the plugin remembers of GitHub's REST answers for one
// repository, so that asking again costs nothing when nothing changed.
//
// For the repository, each branch and each page of the branch list it keeps
// the answer's ETag and the few fields the plugin uses. The next request
// sends If-None-Match; GitHub answers 304 Not Modified, which does not
// count against the rate limit, and the cached fields stand. A pass over
// 1,000 unchanged projects therefore spends no quota and fetches nothing.
//
// The cache is one JSON file in the repository's cache folder, so it
// survives restarts. It holds no secret. A missing or unreadable file is an
// empty cache (the next answers are 200s and refill it), never an error.
//
// Thread safety: Load and Update may be called from any thread and any
// process: Update takes an exclusive lock file, re-reads the file, applies
// the change and replaces the file atomically, so concurrent updates of
// different entries are all kept.
#ifndef TETHER_PLUGINS_GITHUB_REST_CACHE_H_
#define TETHER_PLUGINS_GITHUB_REST_CACHE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tether/status.h"

namespace tether {
namespace github {

struct CachedRepository {
  std::string etag;
  int64_t id = 0;
  std::string full_name;       // as GitHub spells it
  std::string default_branch;  // "" for an empty repository
  std::string clone_url;       // https://github.com/owner/name.git
};

struct CachedBranch {
  std::string etag;
  std::string head;  // commit id
};

struct CachedPage {
  std::string url;   // exactly as requested
  std::string etag;
  std::string next;  // the page's rel="next" link, "" on the last page
  std::vector<std::pair<std::string, std::string>> branches;  // name, head
};

struct RestCacheData {
  std::optional<CachedRepository> repository;
  std::map<std::string, CachedBranch> branches;  // by branch name
  std::vector<CachedPage> pages;                 // the last complete listing, in order
};

class RestCache {
 public:
  // `path` is the JSON file; its lock file is `path` + ".lock".
  explicit RestCache(std::string path);

  RestCacheData Load() const;

  // Applies `change` to the current content of the file and writes it back.
  // Errors: Internal when the lock or the file cannot be written (the
  // caller may go on: the cache only saves requests).
  Status Update(const std::function<void(RestCacheData*)>& change);

 private:
  const std::string path_;
};

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_REST_CACHE_H_
