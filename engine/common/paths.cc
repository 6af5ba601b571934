#include "engine/common/paths.h"

#include <system_error>

namespace tether {

std::filesystem::path ExecutableDir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::filesystem::current_path();
  return exe.parent_path();
}

std::filesystem::path MigrationsDir() {
  std::filesystem::path installed = ExecutableDir() / ".." / "share" / "tether" / "migrations";
  std::error_code ec;
  if (std::filesystem::is_directory(installed, ec)) return installed.lexically_normal();
#ifdef TETHER_SOURCE_DIR
  return std::filesystem::path(TETHER_SOURCE_DIR) / "migrations";
#else
  return installed.lexically_normal();
#endif
}

}  // namespace tether
