// Runtime: the engine assembled from a config file: the config, a database
// connection, (on demand) the loaded plugins, and the sync runner built from
// them. What every command of the CLI and the service start from.
//
// Ownership: a Runtime owns its Database and PluginHost. Thread safety: none;
// one Runtime per thread of control.
#ifndef TETHER_ENGINE_APP_RUNTIME_H_
#define TETHER_ENGINE_APP_RUNTIME_H_

#include <filesystem>
#include <memory>
#include <string>

#include "engine/config/config.h"
#include "engine/db/database.h"
#include "engine/migrate/migrations.h"
#include "engine/plugin_host/plugin_host.h"
#include "tether/status.h"

namespace tether::sync {
class SyncRunner;
}  // namespace tether::sync

namespace tether::app {

class Runtime {
 public:
  // Loads and validates the config at `config_path`. NotFound / InvalidArgument
  // from the config loader.
  static Result<std::unique_ptr<Runtime>> Load(const std::filesystem::path& config_path);

  const config::Config& config() const { return config_; }

  // Opens the database on first use. With `require_migrated`, fails with
  // InvalidArgument when migrations are pending (run `tether migrate apply`).
  // A SQLite file that does not exist is NotFound, and is not created,
  // unless AllowCreatingDatabase was called.
  Result<db::Database*> database(bool require_migrated = true);

  // The shipped migrations database(require_migrated) found applied, read
  // once (there, or here when that check needed no file); empty before
  // that check.
  const std::vector<migrate::Migration>& checked_migrations();

  // For the commands that create the database (`init`, `migrate apply`).
  void AllowCreatingDatabase() { may_create_database_ = true; }

  // Loads the configured plugins on first use (broken ones are recorded).
  plugin_host::PluginHost& plugins();

  // The one sync runner of the process (engine/sync/sync_runner.h): this
  // config's database, its plugins (loaded here if not yet) and its
  // defaults. The caller owns it; it borrows the plugins, so the Runtime
  // must outlive it. `full`: every run compares the whole tree with the
  // stored rows (`tether sync --full`, sync::SyncOptions::full).
  // `worker_id`: the runs are a registered worker's (sync::ThisWorkerId(),
  // for `tether worker` and `tether serve`); its runner beats for it.
  std::unique_ptr<sync::SyncRunner> NewSyncRunner(bool analyze = true, bool full = false,
                                                  const std::string& worker_id = "");

  // The migrations shipped with the engine.
  static std::filesystem::path MigrationsRoot();

  // A migrator for the shipped migrations plus `extra_roots` (folders laid
  // out like migrations/: one folder per dialect, protected.json beside
  // them), on this runtime's database.
  Result<std::unique_ptr<migrate::Migrator>> NewMigrator(const std::vector<std::filesystem::path>& extra_roots = {});
  // The same on `db` (borrowed; it must outlive the migrator), for callers
  // with a connection of their own (the server's admin routes).
  static Result<std::unique_ptr<migrate::Migrator>> MigratorOn(
      db::Database* db, const std::vector<std::filesystem::path>& extra_roots = {});

 private:
  explicit Runtime(config::Config config) : config_(std::move(config)) {}

  config::Config config_;
  std::unique_ptr<db::Database> database_;
  bool migrations_checked_ = false;
  bool migrations_loaded_ = false;  // checked_migrations_ read
  std::vector<migrate::Migration> checked_migrations_;
  bool may_create_database_ = false;
  std::unique_ptr<plugin_host::PluginHost> plugins_;
};

}  // namespace tether::app

#endif  // TETHER_ENGINE_APP_RUNTIME_H_
