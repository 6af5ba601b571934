// tether plugins test: the plugin author's conformance kit, by hand.
#include <rapidjson/document.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "engine/cli/cli.h"
#include "engine/common/json_writer.h"
#include "engine/conformance/analyzer_kit.h"
#include "engine/conformance/provider_kit.h"
#include "engine/plugin_host/plugin_host.h"

namespace tether::cli {

namespace {

namespace fs = std::filesystem;

// A folder of the kit's own: --keep's (which must be empty or absent), or
// a new one under $TMPDIR removed after the run.
Result<fs::path> WorkFolder(const std::string& keep) {
  std::error_code error;
  if (!keep.empty()) {
    const fs::path dir = fs::absolute(keep);
    if (fs::exists(dir, error) && !fs::is_empty(dir, error)) {
      return Status::InvalidArgument("--keep " + keep + " is not an empty folder");
    }
    fs::create_directories(dir, error);
    if (error) return Status::InvalidArgument("cannot make --keep " + keep + ": " + error.message());
    return dir;
  }
  std::string pattern = (fs::temp_directory_path(error) / "tether-conformance-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return Status::Internal("cannot make a folder under " + pattern);
  return fs::path(pattern);
}

void PrintText(const plugin_host::PluginRecord& plugin, const std::string& adapter,
               const conformance::Report& report) {
  std::printf("conformance of %s %s %s (SDK ABI %s), %s\n", plugin.kind.c_str(), plugin.name.c_str(),
              plugin.version.c_str(), plugin.abi.c_str(), plugin.file.string().c_str());
  if (!adapter.empty()) std::printf("fixture adapter: %s\n", adapter.c_str());
  std::printf("\n");
  for (const conformance::ContractResult& c : report.contracts) {
    const char* verdict = c.verdict == conformance::Verdict::kFailed ? "FAILED" : conformance::VerdictName(c.verdict);
    std::printf("  %-8s %-17s %s", verdict, c.id.c_str(), c.contract.c_str());
    if (c.verdict == conformance::Verdict::kPassed) std::printf(" (%d checks)", c.checks);
    std::printf("\n");
    if (!c.detail.empty()) std::printf("  %-8s %-17s %s\n", "", "", c.detail.c_str());
    if (c.failures > 1) std::printf("  %-8s %-17s (and %d more failures)\n", "", "", c.failures - 1);
  }
  std::printf("\n%d passed, %d failed, %d skipped\n", report.Count(conformance::Verdict::kPassed),
              report.Count(conformance::Verdict::kFailed), report.Count(conformance::Verdict::kSkipped));
}

void PrintJsonReport(const plugin_host::PluginRecord& plugin, const std::string& adapter,
                     const conformance::Report& report, const Status& status) {
  JsonWriter out;
  out.Begin().BeginObject("plugin").Str("name", plugin.name).Str("kind", plugin.kind).Str("version", plugin.version)
      .Str("abi", plugin.abi).Str("file", plugin.file.string()).End();
  out.StrOrNull("adapter", adapter).BeginArray("contracts");
  for (const conformance::ContractResult& c : report.contracts) {
    out.writer().StartObject();
    out.Str("id", c.id).Str("contract", c.contract).Str("verdict", conformance::VerdictName(c.verdict))
        .Int("checks", c.checks).Int("failures", c.failures).StrOrNull("detail", c.detail);
    out.writer().EndObject();
  }
  out.EndArray().Int("passed", report.Count(conformance::Verdict::kPassed))
      .Int("failed", report.Count(conformance::Verdict::kFailed))
      .Int("skipped", report.Count(conformance::Verdict::kSkipped))
      .StrOrNull("error", status.ok() ? "" : conformance::Printable(status.ToString(), false));
  PrintJson(out.End());
}

}  // namespace

int RunPluginsTest(const Invocation& inv, const PluginsTestOptions& options) {
  config::PluginConfig plugin;
  const bool is_path = options.plugin.find('/') != std::string::npos ||
                       fs::path(options.plugin).extension() == ".so";
  if (is_path) {
    plugin.path = fs::absolute(options.plugin).string();
  } else {
    plugin.name = options.plugin;
  }
  if (!options.settings.empty()) {
    rapidjson::Document settings;
    settings.Parse(options.settings.c_str(), options.settings.size());
    if (settings.HasParseError() || !settings.IsObject()) {
      return ReportError(inv, Status::InvalidArgument("--settings is not a JSON object: " + options.settings));
    }
    plugin.settings_json = options.settings;
  }
  const std::string adapter = options.adapter.find('/') != std::string::npos
                                  ? fs::absolute(options.adapter).string() : options.adapter;
  Result<fs::path> work = WorkFolder(options.keep);
  if (!work.ok()) return ReportError(inv, work.status());
  struct RemoveUnlessKept {
    ~RemoveUnlessKept() {
      std::error_code ignored;
      if (remove) fs::remove_all(dir, ignored);
    }
    fs::path dir;
    bool remove;
  } cleanup{*work, options.keep.empty()};

  // A storage gets a database of the kit's own, so that it loads and the
  // kit can say what it is.
  plugin_host::PluginHost host(plugin_host::BundledPluginDir(), "sqlite:" + (*work / "kit.db").string());
  host.Load({plugin});
  const plugin_host::PluginRecord& record = host.plugins().front();
  if (record.state != plugin_host::PluginState::kLoaded) {
    return ReportError(inv, Status::InvalidArgument("plugin " + options.plugin + " (" + record.file.string() +
                                                    ") cannot be loaded: " + record.error));
  }
  conformance::Report report;
  Status status;
  if (record.kind == "provider") {
    if (options.adapter.empty()) {
      return ReportError(inv, Status::InvalidArgument("plugin " + record.name +
                                                      " is a provider: give its fixture adapter with --adapter"));
    }
    Result<Provider*> provider = host.FindProvider(record.name);
    if (!provider.ok()) return ReportError(inv, provider.status());
    conformance::ProviderKitOptions kit;
    kit.adapter = adapter;
    kit.work_dir = *work;
    kit.asks_branch_is_at = host.ProviderTellsBranchIsAt(record.name);
    status = conformance::CheckProvider(*provider, kit, &report);
  } else if (record.kind == "analyzer") {
    Result<Analyzer*> analyzer = host.FindAnalyzer(record.name);
    if (!analyzer.ok()) return ReportError(inv, analyzer.status());
    conformance::AnalyzerKitOptions kit;
    kit.knows_steps = host.AnalyzerKnowsSteps(record.name);
    if (!options.inputs.empty()) kit.inputs = fs::absolute(options.inputs);
    status = conformance::CheckAnalyzer(*analyzer, kit, &report);
  } else {
    return ReportError(inv, Status::InvalidArgument("plugin " + record.name + " is a " + record.kind +
                                                    "; the conformance kit checks providers and analyzers so far"));
  }
  if (inv.json) {
    PrintJsonReport(record, adapter, report, status);
  } else {
    PrintText(record, adapter, report);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "tether: error: the kit stopped early: %s\n",
                 conformance::Printable(status.ToString(), false).c_str());
    return ExitCodeFor(status) == kExitUsage ? kExitUsage : kExitFailed;
  }
  return report.Passed() ? kExitOk : kExitFailed;
}

}  // namespace tether::cli
