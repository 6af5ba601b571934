#include "engine/app/runtime.h"

#include "engine/common/paths.h"
#include "engine/db/migrations.h"

namespace tether::app {

Result<std::unique_ptr<Runtime>> Runtime::Load(const std::filesystem::path& config_path) {
  Result<config::Config> config = config::LoadConfig(config_path);
  if (!config.ok()) return config.status();
  return std::unique_ptr<Runtime>(new Runtime(std::move(config).value()));
}

std::filesystem::path Runtime::MigrationsRoot() { return MigrationsDir(); }

Result<db::Database*> Runtime::database(bool require_migrated) {
  if (!database_) {
    Result<std::unique_ptr<db::Database>> opened = db::Database::Open(config_.database_url);
    if (!opened.ok()) return opened.status();
    database_ = std::move(opened).value();
  }
  if (require_migrated && !migrations_checked_) {
    Result<std::vector<db::Migration>> migrations =
        db::LoadMigrations({MigrationsRoot()}, database_->dialect());
    if (!migrations.ok()) return migrations.status();
    db::Migrator migrator(database_.get(), std::move(migrations).value());
    Result<std::vector<db::MigrationState>> states = migrator.Status();
    if (!states.ok()) return states.status();
    int pending = 0;
    for (const db::MigrationState& state : *states) {
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
    migrations_checked_ = true;
  }
  return database_.get();
}

plugin_host::PluginHost& Runtime::plugins() {
  if (!plugins_) {
    plugins_ = std::make_unique<plugin_host::PluginHost>(plugin_host::BundledPluginDir(),
                                                         config_.database_url);
    plugins_->Load(config_.plugins);
  }
  return *plugins_;
}

}  // namespace tether::app
