#include "engine/ops/doctor.h"

#include <memory>

#include "engine/db/project_store.h"
#include "engine/migrate/migrations.h"
#include "shared/sql_connect.h"
#include "tether/provider.h"
#include "tether/storage.h"

namespace tether::ops {
namespace {

DoctorCheck Ok(std::string subject, std::string detail) { return {std::move(subject), true, std::move(detail), ""}; }

DoctorCheck Failed(std::string subject, std::string detail, std::string fix) {
  return {std::move(subject), false, std::move(detail), std::move(fix)};
}

// What to do about a provider's error, by its code; `opening` tells the
// repository's NotFound from the branch's.
std::string FixFor(const Status& status, const db::Project& p, bool opening) {
  switch (status.code()) {
    case StatusCode::kUnauthenticated:
      return "give the " + p.provider + " plugin its credentials (see its settings in the config, e.g. the "
             "environment variable holding a token)";
    case StatusCode::kPermissionDenied:
      return "grant the credentials of the " + p.provider + " plugin access to " + p.repo_url;
    case StatusCode::kRateLimited:
      return "wait until the rate limit resets, or use credentials with a higher limit";
    case StatusCode::kUnavailable:
      return "check that " + p.repo_url + " can be reached from this machine";
    case StatusCode::kNotFound:
      if (opening) {
        return "the repository is gone or moved: restore it, or remove the project (`tether project remove " +
               p.name + "`) and add it again from where it is now";
      }
      return "select an existing branch (`tether project branches " + p.name + "`, then `tether project "
             "select-branch " + p.name + " BRANCH`)";
    default:
      return "see the message; `tether project show " + p.name + "` shows the project's settings";
  }
}

DoctorCheck CheckProject(app::Runtime* runtime, const db::Project& p) {
  const std::string subject = "project " + p.name;
  if (!p.sync_enabled) return Ok(subject, "disabled; not checked");
  Result<Storage*> storage = runtime->plugins().FindStorage(p.storage);
  if (!storage.ok()) {
    return Failed(subject, storage.status().message(), "configure the storage plugin \"" + p.storage + "\"");
  }
  Result<Provider*> provider = runtime->plugins().FindProvider(p.provider);
  if (!provider.ok()) {
    return Failed(subject, provider.status().message(), "configure the provider plugin \"" + p.provider + "\"");
  }
  Result<std::unique_ptr<Repository>> repo = (*provider)->Open(p.repo_url);
  if (!repo.ok()) return Failed(subject, "cannot open " + p.repo_url + ": " + repo.status().message(), FixFor(repo.status(), p, true));
  Result<CommitId> head = (*repo)->ResolveBranch(p.branch);
  if (!head.ok()) {
    return Failed(subject, "branch \"" + p.branch + "\" of " + p.repo_url + ": " + head.status().message(),
                  FixFor(head.status(), p, false));
  }
  return Ok(subject, p.repo_url + " branch " + p.branch + " at " + head->substr(0, 12));
}

}  // namespace

std::vector<DoctorCheck> Diagnose(app::Runtime* runtime) {
  std::vector<DoctorCheck> checks;
  const config::Config& config = runtime->config();
  checks.push_back(Ok("database", db::RedactUrl(config.database_url)));
  Result<db::Database*> db = runtime->database(/*require_migrated=*/false);
  if (!db.ok()) {
    checks.back() = Failed("database", db.status().message(),
                           db.status().code() == StatusCode::kNotFound
                               ? "create it with `tether migrate apply`"
                               : "check the config's \"database\" URL and that the server is reachable");
  }
  if (db.ok()) {
    Result<std::unique_ptr<migrate::Migrator>> migrator = runtime->NewMigrator();
    Result<std::vector<migrate::MigrationState>> states =
        migrator.ok() ? (*migrator)->Status() : Result<std::vector<migrate::MigrationState>>(migrator.status());
    if (!states.ok()) {
      checks.push_back(Failed("migrations", states.status().message(), "see `tether migrate status`"));
    } else {
      std::string pending, changed;
      size_t applied = 0;
      for (const migrate::MigrationState& state : *states) {
        if (state.changed) changed += (changed.empty() ? "" : ", ") + state.migration.name;
        else if (!state.applied) pending += (pending.empty() ? "" : ", ") + state.migration.name;
        else ++applied;
      }
      if (!changed.empty()) {
        checks.push_back(Failed("migrations", "changed after they were applied: " + changed,
                                "restore the files as they were applied (see `tether migrate status`)"));
      } else if (!pending.empty()) {
        checks.push_back(Failed("migrations", "pending: " + pending, "run `tether migrate apply`"));
      } else {
        checks.push_back(Ok("migrations", std::to_string(applied) + " applied, none pending"));
      }
    }
  }
  for (const plugin_host::PluginRecord& plugin : runtime->plugins().plugins()) {
    const std::string subject = "plugin " + plugin.name;
    if (plugin.state == plugin_host::PluginState::kBroken) {
      checks.push_back(Failed(subject, plugin.error,
                              "fix its \"path\" in the config, or rebuild it against this SDK (`tether version`)"));
    } else {
      checks.push_back(Ok(subject, std::string(plugin_host::PluginStateName(plugin.state)) + ", " + plugin.file.string()));
    }
  }
  if (!db.ok()) return checks;
  Result<std::vector<db::Project>> projects = db::ProjectStore(*db).List();
  if (!projects.ok()) {
    checks.push_back(Failed("projects", projects.status().message(), "see `tether migrate status`"));
    return checks;
  }
  for (const db::Project& p : *projects) checks.push_back(CheckProject(runtime, p));
  return checks;
}

}  // namespace tether::ops
