// The docs analyzer: documentation regenerated with the code. It analyses
// no blob itself: its repository step (docs_step.h) writes a Markdown page
// per file and an index per directory from the `code` analyzer's stored
// results, redoing only what a change touches. The engine serves the pages
// (GET /api/v1/projects/{name}/docs/{path}), exports them (`tether docs
// export`) and shows them in the web page.
//
// Settings: none yet ({}); an unknown key is refused by name.
#include <memory>
#include <string>

#include "docs_step.h"
#include "shared/plugin_settings.h"
#include "tether/analyzer.h"
#include "tether/plugin.h"

namespace tether::docs {
namespace {

// Bump on any change to what the pages say or how the state is kept: every
// project's documentation is then made again from the stored code results.
constexpr char kDocsVersion[] = "1.0.0";

class DocsAnalyzer : public Analyzer {
 public:
  DocsAnalyzer() : step_("code") {}

  AnalyzerKey Key() const override { return AnalyzerKey{"docs", kDocsVersion, ""}; }

  Status Analyze(const AnalysisInput&, AnalysisSink*) override {
    return Status::Internal("the docs analyzer analyses no blob (AnalysesBlobs is false)");
  }

  bool AnalysesBlobs() const override { return false; }
  RepositoryStep* Repository() override { return &step_; }

 private:
  DocsStep step_;
};

Result<std::unique_ptr<Plugin>> CreateDocsAnalyzer(const PluginContext& context) {
  rapidjson::Document settings;
  TETHER_RETURN_IF_ERROR(
      ParsePluginSettings("settings of plugin '" + context.name + "' (docs): ", context.settings_json, &settings));
  for (auto member = settings.MemberBegin(); member != settings.MemberEnd(); ++member) {
    return Status::InvalidArgument("settings of plugin '" + context.name + "' (docs): unknown key \"" +
                                   std::string(member->name.GetString(), member->name.GetStringLength()) +
                                   "\" (the docs analyzer has no settings yet: use {})");
  }
  return std::unique_ptr<Plugin>(std::make_unique<DocsAnalyzer>());
}

}  // namespace
}  // namespace tether::docs

TETHER_PLUGIN(TETHER_PLUGIN_ANALYZER, "docs", "1.0.0",
              "Documentation from the code analyzer's results: a Markdown page per file, an index per directory "
              "(redone when its tree changes), the repository map and the README",
              tether::docs::CreateDocsAnalyzer)
