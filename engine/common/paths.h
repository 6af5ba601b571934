// Where the running executable and its companion files are.
#ifndef TETHER_ENGINE_COMMON_PATHS_H_
#define TETHER_ENGINE_COMMON_PATHS_H_

#include <filesystem>

namespace tether {

// The folder of the running executable (from /proc/self/exe).
std::filesystem::path ExecutableDir();

// The shipped migrations: <exe dir>/../share/tether/migrations when it
// exists, else the source tree's migrations/ (for binaries run from a build
// tree that has no share/ folder, such as tests).
std::filesystem::path MigrationsDir();

}  // namespace tether

#endif  // TETHER_ENGINE_COMMON_PATHS_H_
