// What the engine decides about a file's path and bytes before storing it:
// whether the path is safe to store, whether the bytes are text, and which
// language the file is in. Pure functions, safe from any thread.
#ifndef TETHER_ENGINE_SYNC_CONTENT_RULES_H_
#define TETHER_ENGINE_SYNC_CONTENT_RULES_H_

#include <string>
#include <string_view>

#include "engine/common/utf8.h"
#include "tether/status.h"

namespace tether::sync {

// OK for a relative '/'-separated path of valid UTF-8 without empty, "." or
// ".." components, NUL or control characters. Otherwise InvalidArgument
// naming the path (escaped by DisplayPath) and the reason.
Status CheckRepositoryPath(std::string_view path);

// Whether `id` may be a commit or blob id as provider.h defines them:
// non-empty printable ASCII without spaces (the host only compares, stores
// and shows ids; an empty one would mean "none").
bool IsProviderId(std::string_view id);

// `path` printable and unambiguous: bytes that are not printable UTF-8 as \xNN.
std::string DisplayPath(std::string_view path);

using ::tether::IsValidUtf8;  // engine/common/utf8.h

// Text when it has no NUL byte in its first 8000 bytes (git's own rule) and
// is valid UTF-8 (the content column holds text; PostgreSQL refuses
// anything else).
bool LooksLikeText(std::string_view bytes);

// "cpp", "python", ... from the file name; "" when unknown.
std::string DetectLanguage(std::string_view path);

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_CONTENT_RULES_H_
