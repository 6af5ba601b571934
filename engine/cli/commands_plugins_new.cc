// tether plugins new: a plugin author's first step, a template written out
// under the author's name, ready to build against the installed SDK and to
// test with the conformance kit.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "engine/cli/cli.h"
#include "engine/cli/plugin_templates.h"
#include "engine/common/json_writer.h"
#include "engine/plugin_host/plugin_host.h"

namespace tether::cli {

namespace {

namespace fs = std::filesystem;

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9'))) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// `name` as a C and CMake identifier: "my-provider" -> "my_provider".
std::string Identifier(std::string name) {
  for (char& c : name) {
    if (c == '-' || c == '.') c = '_';
  }
  return name;
}

// `text` with every `from` replaced by `to`.
std::string Replaced(std::string_view text, const std::string& from, const std::string& to) {
  std::string out;
  size_t at = 0;
  for (size_t found; (found = text.find(from, at)) != std::string_view::npos; at = found + from.size()) {
    out.append(text.substr(at, found - at));
    out += to;
  }
  out.append(text.substr(at));
  return out;
}

std::string Renamed(std::string_view text, const PluginTemplate& t, const std::string& name) {
  const std::string template_name(t.name);
  return Replaced(Replaced(text, template_name, name), Identifier(template_name), Identifier(name));
}

}  // namespace

int RunPluginsNew(const Invocation& inv, const PluginsNewOptions& options) {
  const PluginTemplate* chosen = nullptr;
  std::string kinds;
  for (const PluginTemplate& t : PluginTemplates()) {
    if (t.kind == options.kind) chosen = &t;
    kinds += (kinds.empty() ? "" : ", ") + std::string(t.kind);
  }
  if (chosen == nullptr) {
    return ReportError(inv, Status::InvalidArgument("--kind " + options.kind + ": there are templates for " + kinds +
                                                    " (a storage: start from plugins/sql-storage in Tether's source)"));
  }
  if (!ValidName(options.name)) {
    return ReportError(inv, Status::InvalidArgument(
                                "plugin name \"" + options.name +
                                "\": 1 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"));
  }
  const fs::path dir = fs::absolute(options.dir);
  std::error_code error;
  if (fs::exists(dir, error) && !(fs::is_directory(dir, error) && fs::is_empty(dir, error))) {
    return ReportError(inv, Status::InvalidArgument(dir.string() + " exists and is not an empty folder"));
  }
  fs::create_directories(dir, error);
  if (error) return ReportError(inv, Status::InvalidArgument("cannot make " + dir.string() + ": " + error.message()));
  for (const TemplateFile& file : chosen->files) {
    const fs::path path = dir / Renamed(file.path, *chosen, options.name);
    const std::string text = Renamed(file.text, *chosen, options.name);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) return ReportError(inv, Status::Internal("cannot write " + path.string()));
    if (file.executable) ::chmod(path.c_str(), 0755);
    if (!inv.json) std::printf("wrote %s\n", path.string().c_str());
  }
  const fs::path prefix = plugin_host::BundledPluginDir().parent_path().parent_path().parent_path();
  if (inv.json) {
    JsonWriter out;
    PrintJson(out.Begin().Str("kind", std::string(chosen->kind)).Str("name", options.name).Str("dir", dir.string()).End());
    return kExitOk;
  }
  std::printf(
      "next: build it against this installation's SDK and run the conformance kit:\n"
      "  cmake -S %s -B %s/build -DCMAKE_PREFIX_PATH=%s && cmake --build %s/build\n"
      "  ctest --test-dir %s/build --output-on-failure\n"
      "then list %s/build/lib%s.so in a config: {\"name\": \"%s\", \"kind\": \"%s\", \"path\": ...}\n",
      dir.c_str(), dir.c_str(), prefix.c_str(), dir.c_str(), dir.c_str(), dir.c_str(), options.name.c_str(),
      options.name.c_str(), std::string(chosen->kind).c_str());
  return kExitOk;
}

}  // namespace tether::cli
