// Levenshtein distance between two strings (insertions, deletions and
// substitutions of single bytes), for "did you mean" suggestions in config
// errors and on the command line.
//
// Thread safety: a pure function.
#ifndef TETHER_ENGINE_COMMON_EDIT_DISTANCE_H_
#define TETHER_ENGINE_COMMON_EDIT_DISTANCE_H_

#include <cstddef>
#include <string_view>

namespace tether {

size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace tether

#endif  // TETHER_ENGINE_COMMON_EDIT_DISTANCE_H_
