#include "engine/app/runtime.h"

#include "engine/common/paths.h"
#include "engine/migrate/migrations.h"
#include "engine/sync/lease_owner.h"
#include "engine/sync/sync_runner.h"

namespace tether::app {

Result<std::unique_ptr<Runtime>> Runtime::Load(const std::filesystem::path& config_path) {
  Result<config::Config> config = config::LoadConfig(config_path);
  if (!config.ok()) return config.status();
  // Before any lease is taken: leases name this host, or the operator's id
  // for it (`tether worker --host-id` sets it again after this).
  if (!config->workers.host_id.empty()) sync::SetHostIdentity(config->workers.host_id);
  return std::unique_ptr<Runtime>(new Runtime(std::move(config).value()));
}

std::filesystem::path Runtime::MigrationsRoot() { return MigrationsDir(); }

Result<db::Database*> Runtime::database(bool require_migrated) {
  if (!database_ && !may_create_database_) {
    // Only `init` and `migrate apply` create the database: any other
    // command on a SQLite file that is not there says so and leaves no
    // empty file behind.
    const std::string kSqlite = "sqlite:";
    const std::string& url = config_.database_url;
    if (url.compare(0, kSqlite.size(), kSqlite) == 0 && url != "sqlite::memory:") {
      std::error_code ec;
      const std::filesystem::path file = url.substr(kSqlite.size());
      if (!std::filesystem::exists(file, ec)) {
        return Status::NotFound("the database " + file.string() +
                                " does not exist yet; create it with `tether migrate apply` (or `tether init`)");
      }
    }
  }
  if (!database_) {
    Result<std::unique_ptr<db::Database>> opened = db::Database::Open(config_.database_url);
    if (!opened.ok()) return opened.status();
    database_ = std::move(opened).value();
  }
  if (require_migrated && !migrations_checked_) {
    // The history names every shipped file: nothing pending, nothing gone,
    // and no file read or hashed. Anything else, the full check below.
    Result<bool> current = migrate::HistoryMatchesFiles(database_.get(), {MigrationsRoot()});
    if (current.ok() && *current) {
      migrations_checked_ = true;
      return database_.get();
    }
    Result<std::unique_ptr<migrate::Migrator>> migrator = NewMigrator();
    if (!migrator.ok()) return migrator.status();
    Result<std::vector<migrate::MigrationState>> states = (*migrator)->Status();
    if (!states.ok()) return states.status();
    int pending = 0;
    for (const migrate::MigrationState& state : *states) {
      if (!state.applied) ++pending;
      if (state.changed) {
        return Status::DataLoss("migration " + state.migration.name +
                                " changed after it was applied; see `tether migrate status`");
      }
    }
    if (pending > 0) {
      return Status::InvalidArgument("the database has " + std::to_string(pending) +
                                     " pending migration(s); run `tether migrate apply` first");
    }
    checked_migrations_ = (*migrator)->migrations();
    migrations_loaded_ = true;
    migrations_checked_ = true;
  }
  return database_.get();
}

const std::vector<migrate::Migration>& Runtime::checked_migrations() {
  if (migrations_checked_ && !migrations_loaded_ && database_) {
    Result<std::vector<migrate::Migration>> loaded =
        migrate::LoadMigrations({MigrationsRoot()}, database_->dialect());
    if (loaded.ok()) checked_migrations_ = std::move(loaded).value();
    migrations_loaded_ = true;
  }
  return checked_migrations_;
}

Result<std::unique_ptr<migrate::Migrator>> Runtime::NewMigrator(const std::vector<std::filesystem::path>& extra_roots) {
  Result<db::Database*> db = database(/*require_migrated=*/false);
  if (!db.ok()) return db.status();
  return MigratorOn(*db, extra_roots);
}

Result<std::unique_ptr<migrate::Migrator>> Runtime::MigratorOn(db::Database* db,
                                                               const std::vector<std::filesystem::path>& extra_roots) {
  std::vector<std::filesystem::path> roots = {MigrationsRoot()};
  roots.insert(roots.end(), extra_roots.begin(), extra_roots.end());
  for (const std::filesystem::path& root : extra_roots) {
    std::error_code ec;
    if (!std::filesystem::is_directory(root, ec)) {
      return Status::InvalidArgument("migrations folder " + root.string() + " does not exist");
    }
    if (!std::filesystem::is_directory(root / "sqlite", ec) && !std::filesystem::is_directory(root / "postgres", ec)) {
      size_t sql_files = 0;
      for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
        if (entry.path().extension() == ".sql") ++sql_files;
      }
      return Status::InvalidArgument(
          "migrations folder " + root.string() + " has no sqlite/ or postgres/ subfolder" +
          (sql_files > 0 ? " (its " + std::to_string(sql_files) +
                               " .sql file(s) must go in one per dialect: " + (root / "sqlite").string() + ", " +
                               (root / "postgres").string() + ")"
                         : ""));
    }
  }
  Result<std::vector<migrate::Migration>> migrations = migrate::LoadMigrations(roots, db->dialect());
  if (!migrations.ok()) return migrations.status();
  Result<std::vector<migrate::ProtectedColumn>> protected_columns = migrate::LoadProtectedColumns(roots);
  if (!protected_columns.ok()) return protected_columns.status();
  return std::make_unique<migrate::Migrator>(db, std::move(migrations).value(), std::move(protected_columns).value());
}

plugin_host::PluginHost& Runtime::plugins() {
  if (!plugins_) {
    plugins_ = std::make_unique<plugin_host::PluginHost>(plugin_host::BundledPluginDir(),
                                                         config_.database_url);
    plugins_->Load(config_.plugins);
  }
  return *plugins_;
}

std::unique_ptr<sync::SyncRunner> Runtime::NewSyncRunner(bool analyze, bool full, const std::string& worker_id) {
  sync::SyncOptions options;
  options.worker_id = worker_id;
  options.analyze = analyze;
  options.full = full;
  // The config was checked when it loaded: its schedule parses.
  options.default_schedule = schedule::Effective(config_.defaults.schedule, schedule::Schedule());
  options.schedule_limits.min_seconds = config_.defaults.schedule_min_interval_seconds;
  options.schedule_limits.max_seconds = config_.defaults.schedule_max_interval_seconds;
  options.analyze_max_bytes = config_.defaults.analysis_max_bytes;
  options.analyze_time_limit_ms = config_.defaults.analysis_time_limit_ms;
  options.analyze_threads = config_.defaults.analysis_threads;
  options.analyze_page_size = config_.defaults.analysis_page_size;
  options.max_content_bytes = config_.defaults.max_content_bytes;
  options.lease_seconds = config_.defaults.lease_seconds;
  return std::make_unique<sync::SyncRunner>(config_.database_url, &plugins(), options,
                                            config_.workers.lease_timeout_seconds);
}

}  // namespace tether::app
