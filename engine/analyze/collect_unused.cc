#include "engine/analyze/collect_unused.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/db/project_store.h"

namespace tether::analyze {

Result<int64_t> CollectUnusedResults(db::Database* db, const plugin_host::PluginHost& plugins, int64_t grace_seconds) {
  Result<std::vector<db::Project>> projects = db::ProjectStore(db).List();
  if (!projects.ok()) return projects.status();
  std::set<std::pair<std::string, std::string>> places;  // (storage, tenant)
  for (const db::Project& p : *projects) places.emplace(p.storage, p.tenant_id);
  std::vector<AnalyzerKey> active;
  for (const std::string& name : plugins.AnalyzerNames()) {
    Result<Analyzer*> analyzer = plugins.FindAnalyzer(name);
    if (analyzer.ok()) active.push_back((*analyzer)->Key());
  }
  int64_t removed = 0;
  for (const auto& [storage_name, tenant] : places) {
    if (!plugins.StorageKeepsAnalysis(storage_name)) continue;
    Result<Storage*> storage = plugins.FindStorage(storage_name);
    if (!storage.ok()) return storage.status();
    Result<int64_t> n = (*storage)->CollectAnalysis(tenant, active, grace_seconds);
    if (!n.ok()) return n.status().WithContext("tenant \"" + tenant + "\"");
    removed += *n;
  }
  return removed;
}

}  // namespace tether::analyze
