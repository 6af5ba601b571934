// tether plugins test: the plugin author's conformance kit, by hand.
#include <rapidjson/document.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "engine/cli/cli.h"
#include "engine/common/json_writer.h"
#include "engine/conformance/analyzer_kit.h"
#include "engine/conformance/provider_kit.h"
#include "engine/conformance/storage_kit.h"
#include "engine/app/runtime.h"
#include "engine/db/project_store.h"
#include "engine/plugin_host/plugin_host.h"
#include "engine/sync/run_states.h"
#include "engine/sync/sync_runner.h"
#include "tether/repository_step.h"

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

// Where the storage kit's killed writer (--hold-write) finds the database:
// in its environment, so that a password never shows in a process list.
constexpr char kHoldWriteDatabase[] = "TETHER_CONFORMANCE_DATABASE";

// The kit's projects of a storage: kProjects projects of its own in the
// database, removed with what the storage keeps for them when it goes.
class KitProjects {
 public:
  KitProjects(db::Database* db, Storage* storage) : store_(db), storage_(storage) {}
  ~KitProjects() {
    for (const ProjectRef& project : refs_) {
      (void)storage_->DeleteProject(project);
      (void)store_.Remove(project.id);
    }
  }
  Result<std::vector<ProjectRef>> Add(const std::string& storage_name) {
    for (size_t i = 0; i < conformance::kProjects; ++i) {
      db::NewProject project;
      project.name = "conformance-kit-" + std::to_string(::getpid()) + "-" + std::to_string(i);
      project.provider = "conformance-kit";
      project.storage = storage_name;
      project.repo_url = "conformance-kit";
      project.branch = "main";
      Result<db::Project> added = store_.Add(project);
      if (!added.ok()) return added.status().WithContext("adding the kit's project " + project.name);
      refs_.push_back(ProjectRef{added->id, added->tenant_id});
    }
    return std::vector<ProjectRef>(refs_.begin(), refs_.end());
  }

  // One more project, of a tenant of the kit's own; *why says why not when
  // the database refuses it (a connection bound to one tenant).
  ProjectRef AddOfAnotherTenant(const std::string& storage_name, std::string* why) {
    db::NewProject project;
    project.name = "conformance-kit-" + std::to_string(::getpid()) + "-other";
    project.tenant_id = "conformance-kit-" + std::to_string(::getpid());
    project.provider = "conformance-kit";
    project.storage = storage_name;
    project.repo_url = "conformance-kit";
    project.branch = "main";
    Result<db::Project> added = store_.Add(project);
    if (!added.ok()) {
      *why = added.status().message();
      return ProjectRef{};
    }
    refs_.push_back(ProjectRef{added->id, added->tenant_id});
    return refs_.back();
  }

 private:
  db::ProjectStore store_;
  Storage* storage_;
  std::vector<ProjectRef> refs_;
};

// The provider kit's "synced" contract: one project following the
// adapter's source, synced by the engine's own runner into sql-storage,
// and what it stored read back through the storage.
class EngineSync {
 public:
  EngineSync(db::Database* db, const plugin_host::PluginHost* host, std::string provider)
      : db_(db), host_(host), provider_(std::move(provider)),
        runner_(db->url(), host, Options()) {}

  uint64_t max_content_bytes() const { return Options().max_content_bytes; }

  Result<conformance::SyncedState> Sync(const std::string& url) {
    if (project_.id == 0) {
      db::NewProject project;
      project.name = "conformance-kit-" + std::to_string(::getpid()) + "-sync";
      project.provider = provider_;
      project.storage = "sql-storage";
      project.repo_url = url;
      project.branch = "main";
      Result<db::Project> added = db::ProjectStore(db_).Add(project);
      if (!added.ok()) return added.status();
      project_ = ProjectRef{added->id, added->tenant_id};
      name_ = project.name;
    }
    sync::SyncResult result = runner_.Run(db_, project_.tenant, name_, "conformance");
    if (!result.status.ok()) return result.status;
    Result<Storage*> storage = host_->FindStorage("sql-storage");
    if (!storage.ok()) return storage.status();
    conformance::SyncedState state;
    state.mode = sync::ToString(result.mode);
    struct Paths : EntrySink {
      std::vector<std::string> paths;
      Status OnEntry(const Entry& entry) override {
        paths.push_back(entry.path);
        return Status::Ok();
      }
    } listed;
    TETHER_RETURN_IF_ERROR((*storage)->ListEntries(project_, &listed));
    for (const std::string& path : listed.paths) {
      Result<StoredDocument> doc = (*storage)->GetDocument(project_, path);
      if (!doc.ok()) return doc.status();
      state.files[path] = conformance::SyncedFile{doc->entry.kind, doc->entry.mode, doc->size, doc->is_binary,
                                                  doc->has_content, doc->content};
    }
    return state;
  }

 private:
  static sync::SyncOptions Options() {
    sync::SyncOptions options;
    options.analyze = false;
    return options;
  }

  db::Database* db_;
  const plugin_host::PluginHost* host_;
  const std::string provider_;
  sync::SyncRunner runner_;
  ProjectRef project_;
  std::string name_;
};

// The database of a storage's kit: --database's, or a new SQLite file in
// the kit's folder.
std::string KitDatabaseUrl(const PluginsTestOptions& options, const fs::path& work) {
  return options.database.empty() ? "sqlite:" + (work / "kit.db").string() : options.database;
}

// Opens `url` (KitDatabaseUrl): --database's must be migrated; the new
// SQLite file is migrated here (with --migrations too).
Result<std::unique_ptr<db::Database>> KitDatabase(const PluginsTestOptions& options, const std::string& url) {
  Result<std::unique_ptr<db::Database>> db = db::Database::Open(url);
  if (!db.ok()) return db.status().WithContext("the kit's database");
  std::vector<fs::path> extra(options.migrations.begin(), options.migrations.end());
  Result<std::unique_ptr<migrate::Migrator>> migrator = app::Runtime::MigratorOn(db->get(), extra);
  if (!migrator.ok()) return migrator.status();
  if (options.database.empty()) {
    Result<std::vector<std::string>> applied = (*migrator)->Apply();
    if (!applied.ok()) return applied.status().WithContext("migrating the kit's database");
    return db;
  }
  Result<std::vector<migrate::Migrator::PlannedMigration>> pending = (*migrator)->Plan();
  if (!pending.ok()) return pending.status();
  if (!pending->empty()) {
    return Status::InvalidArgument("--database has " + std::to_string(pending->size()) +
                                   " migration(s) pending: run `tether migrate apply` on it first");
  }
  return db;
}

// The storage kit's killed writer (storage_kit.h): the parent's storage on
// the parent's database, holding a write until it is killed. No folder of
// its own, which its death would leave behind.
// "a provider", "an analyzer", "a storage".
std::string WithArticle(const std::string& kind) { return (kind == "analyzer" ? "an " : "a ") + kind; }

// The options that belong to another kind of plugin than `kind`, named;
// "" when there are none.
std::string OptionsOfOtherKinds(const PluginsTestOptions& options, const std::string& kind) {
  std::string named;
  auto check = [&](bool given, const char* option, const char* owner) {
    if (given && kind != owner) named += std::string(named.empty() ? "" : ", ") + option + " (" + WithArticle(owner) + "'s)";
  };
  check(!options.adapter.empty(), "--adapter", "provider");
  check(!options.inputs.empty(), "--inputs", "analyzer");
  check(!options.database.empty(), "--database", "storage");
  check(!options.migrations.empty(), "--migrations", "storage");
  return named;
}

int HoldWrite(const Invocation& inv, const PluginsTestOptions& options, const config::PluginConfig& plugin) {
  const char* database_url = std::getenv(kHoldWriteDatabase);
  if (database_url == nullptr) {
    return ReportError(inv, Status::InvalidArgument(std::string("--hold-write needs ") + kHoldWriteDatabase));
  }
  plugin_host::PluginHost host(plugin_host::BundledPluginDir(), database_url);
  host.Load({plugin});
  Result<Storage*> storage = host.FindStorage(host.plugins().front().name);
  if (!storage.ok()) return ReportError(inv, storage.status());
  const size_t colon = options.hold_write.find(':');
  const ProjectRef project{std::atoll(options.hold_write.substr(0, colon).c_str()),
                           colon == std::string::npos ? "" : options.hold_write.substr(colon + 1)};
  return ReportError(inv, conformance::HoldWriteForKit(*storage, project));
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
  if (!options.hold_write.empty()) return HoldWrite(inv, options, plugin);
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

  // Only a storage is handed the URL, and only a storage's kit opens the
  // database (after loading it: sql-storage connects at its first call).
  const std::string database_url = KitDatabaseUrl(options, *work);
  plugin_host::PluginHost host(plugin_host::BundledPluginDir(), database_url);
  host.Load({plugin});
  // A copy: a provider's kit loads sql-storage into the host after it.
  const plugin_host::PluginRecord record = host.plugins().front();
  if (record.state != plugin_host::PluginState::kLoaded) {
    return ReportError(inv, Status::InvalidArgument("plugin " + options.plugin + " (" + record.file.string() +
                                                    ") cannot be loaded: " + record.error));
  }
  const std::string misplaced = OptionsOfOtherKinds(options, record.kind);
  if (!misplaced.empty()) {
    return ReportError(inv, Status::InvalidArgument("plugin " + record.name + " is " + WithArticle(record.kind) +
                                                    ": " + misplaced + " do not apply"));
  }
  conformance::Report report;
  Status status;
  if (record.kind == "storage") {
    Result<std::unique_ptr<db::Database>> db = KitDatabase(options, database_url);
    if (!db.ok()) return ReportError(inv, db.status());
    Result<Storage*> storage = host.FindStorage(record.name);
    if (!storage.ok()) return ReportError(inv, storage.status());
    KitProjects projects(db->get(), *storage);
    Result<std::vector<ProjectRef>> refs = projects.Add(record.name);
    if (!refs.ok()) return ReportError(inv, refs.status());
    conformance::StorageKitOptions kit;
    kit.projects = *refs;
    kit.other_tenant = projects.AddOfAnotherTenant(record.name, &kit.other_tenant_why);
    kit.own_database = options.database.empty();
    kit.fences = host.StorageFences(record.name);
    kit.keeps_analysis = host.StorageKeepsAnalysis(record.name);
    kit.keeps_outputs = host.StorageKeepsOutputs(record.name);
    kit.searches_text = host.StorageSearchesText(record.name);
    kit.indexes_text_later = host.StorageIndexesTextLater(record.name);
    std::error_code error;
    const fs::path self = fs::read_symlink("/proc/self/exe", error);
    if (!error) kit.child_command = {self.string(), "plugins", "test", record.file.string()};
    kit.child_environment = {std::string(kHoldWriteDatabase) + "=" + database_url};
    if (!error && plugin.settings_json != "{}") {
      kit.child_command.push_back("--settings");
      kit.child_command.push_back(plugin.settings_json);
    }
    status = conformance::CheckStorage(*storage, kit, &report);
  } else if (record.kind == "provider") {
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
    // The "synced" contract: the engine's own sync into sql-storage on a
    // SQLite file of the kit's.
    Result<std::unique_ptr<db::Database>> db = KitDatabase(options, database_url);
    if (!db.ok()) return ReportError(inv, db.status());
    config::PluginConfig storage_config;
    storage_config.name = "sql-storage";
    storage_config.kind = "storage";
    host.Load({storage_config});
    EngineSync engine(db->get(), &host, record.name);
    if (host.FindStorage(storage_config.name).ok()) {
      kit.sync = [&engine](const std::string& url) { return engine.Sync(url); };
      kit.max_content_bytes = engine.max_content_bytes();
    }
    status = conformance::CheckProvider(*provider, kit, &report);
  } else if (record.kind == "analyzer") {
    Result<Analyzer*> analyzer = host.FindAnalyzer(record.name);
    if (!analyzer.ok()) return ReportError(inv, analyzer.status());
    conformance::AnalyzerKitOptions kit;
    kit.knows_steps = host.AnalyzerKnowsSteps(record.name);
    // The analyzers its repository step needs, bundled ones by name, to
    // give the step the results the engine would.
    // (An exception here is the kit's to report, under no-throw.)
    std::vector<std::string> needs;
    try {
      RepositoryStep* step = kit.knows_steps ? (*analyzer)->Repository() : nullptr;
      if (step != nullptr) needs = step->Needs();
    } catch (...) {
      needs.clear();
    }
    for (const std::string& id : needs) {
      if (id == record.name) {
        kit.needed[id] = *analyzer;
        continue;
      }
      config::PluginConfig needed;
      needed.name = id;
      needed.kind = "analyzer";
      host.Load({needed});
      Result<Analyzer*> found = host.FindAnalyzer(id);
      if (found.ok()) kit.needed[id] = *found;
    }
    if (!options.inputs.empty()) kit.inputs = fs::absolute(options.inputs);
    status = conformance::CheckAnalyzer(*analyzer, kit, &report);
  } else {
    return ReportError(inv, Status::InvalidArgument("plugin " + record.name + " is of no kind the kit knows"));
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
