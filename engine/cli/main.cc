// tether: the command line. Parses arguments with CLI11 and hands each
// command to its Run* function (engine/cli/cli.h).
#include <CLI/CLI.hpp>

#include "engine/cli/cli.h"

namespace {

using tether::cli::Invocation;

CLI::App* Sub(CLI::App* parent, const std::string& name, const std::string& help) {
  CLI::App* app = parent->add_subcommand(name, help);
  app->fallthrough();
  return app;
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = tether::cli;
  CLI::App app{"tether: keeps software projects in sync with their repositories"};
  app.require_subcommand(1);
  Invocation inv;
  app.add_option("--config", inv.config_flag,
                 "Config file (default: $TETHER_CONFIG, else ./tether.json)");
  app.add_flag("--json", inv.json, "Machine-readable output on stdout");
  app.add_option("--tenant", inv.tenant,
                 "Tenant of the projects named (default: the database connection's, else \"default\")");
  app.footer(
      "Exit codes: 0 ok; 1 a sync or operation failed; 2 usage, config or input error;\n"
      "3 the project is already being synced by another run (nothing done).");

  int code = cli::kExitOk;

  cli::InitOptions init;
  CLI::App* init_cmd = Sub(&app, "init", "Write a starter config and create and migrate its SQLite database");
  init_cmd->add_option("--database", init.database_url, "Database URL (default: sqlite:tether.db next to the config)");
  init_cmd->add_flag("--force", init.force, "Overwrite an existing config file");
  init_cmd->callback([&] { code = cli::RunInit(inv, init); });

  CLI::App* plugins = Sub(&app, "plugins", "Show the configured plugins");
  plugins->require_subcommand(1);
  Sub(plugins, "list", "List plugins with kind, version, ABI, file and state")
      ->callback([&] { code = cli::RunPluginsList(inv, false); });
  Sub(plugins, "check", "Like list; exits 1 when any plugin is broken")
      ->callback([&] { code = cli::RunPluginsList(inv, true); });

  CLI::App* migrate = Sub(&app, "migrate", "Database schema migrations");
  migrate->require_subcommand(1);
  cli::MigrateOptions migrate_options;
  migrate->add_option("--dir", migrate_options.dirs,
                      "Another migrations folder (sqlite/, postgres/, protected.json); repeatable");
  Sub(migrate, "status", "List migrations and whether each is applied")
      ->callback([&] { code = cli::RunMigrateStatus(inv, migrate_options); });
  Sub(migrate, "plan", "Show what apply would run and what it would touch; change nothing")
      ->callback([&] { code = cli::RunMigratePlan(inv, migrate_options); });
  CLI::App* apply = Sub(migrate, "apply", "Apply pending migrations, one transaction each");
  apply->add_flag("--dry-run", migrate_options.dry_run, "Print the plan and change nothing");
  apply->callback([&] { code = cli::RunMigrateApply(inv, migrate_options); });
  Sub(migrate, "verify", "Check protected data against the evidence the last migration recorded")
      ->callback([&] { code = cli::RunMigrateVerify(inv, migrate_options); });

  CLI::App* project = Sub(&app, "project", "Add, inspect and configure projects");
  project->require_subcommand(1);
  cli::ProjectAddOptions add;
  CLI::App* add_cmd = Sub(project, "add", "Follow a repository");
  add_cmd->add_option("name", add.name, "Project name")->required();
  add_cmd->add_option("--provider", add.provider, "Provider plugin (default from the config)");
  add_cmd->add_option("--repo", add.repo, "Repository URL or path")->required();
  add_cmd->add_option("--branch", add.branch, "Branch to sync (default: the repository's default branch)");
  add_cmd->add_option("--storage", add.storage, "Storage plugin (default from the config)");
  add_cmd->callback([&] { code = cli::RunProjectAdd(inv, add); });

  Sub(project, "list", "List projects")->callback([&] { code = cli::RunProjectList(inv); });
  std::string name, branch;
  CLI::App* show = Sub(project, "show", "Show one project with its recent runs");
  show->add_option("name", name, "Project name")->required();
  show->callback([&] { code = cli::RunProjectShow(inv, name); });
  CLI::App* remove = Sub(project, "remove", "Stop following a project and delete its rows");
  remove->add_option("name", name, "Project name")->required();
  remove->callback([&] { code = cli::RunProjectRemove(inv, name); });
  CLI::App* branches = Sub(project, "branches", "List the repository's branches");
  branches->add_option("name", name, "Project name")->required();
  branches->callback([&] { code = cli::RunProjectBranches(inv, name); });
  CLI::App* select = Sub(project, "select-branch", "Sync another branch from now on");
  select->add_option("name", name, "Project name")->required();
  select->add_option("branch", branch, "Branch name")->required();
  select->callback([&] { code = cli::RunProjectSelectBranch(inv, name, branch); });
  CLI::App* enable = Sub(project, "enable", "Include the project in syncs");
  enable->add_option("name", name, "Project name")->required();
  enable->callback([&] { code = cli::RunProjectEnable(inv, name, true); });
  CLI::App* disable = Sub(project, "disable", "Leave the project out of syncs");
  disable->add_option("name", name, "Project name")->required();
  disable->callback([&] { code = cli::RunProjectEnable(inv, name, false); });

  cli::SyncOptions sync;
  CLI::App* sync_cmd = Sub(&app, "sync", "Sync projects now");
  sync_cmd->add_option("projects", sync.projects, "Project names");
  sync_cmd->add_flag("--all", sync.all, "Every enabled project");
  sync_cmd->add_option("--trigger", sync.trigger, "Recorded as the run's trigger (cli, schedule, ...)");
  sync_cmd->callback([&] { code = cli::RunSync(inv, sync); });

  Sub(&app, "status", "Every project's sync status")->callback([&] { code = cli::RunStatus(inv); });

  cli::ServeOptions serve;
  CLI::App* serve_cmd = Sub(&app, "serve", "Serve the HTTP API until SIGTERM or SIGINT");
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (default from the config: 127.0.0.1:8080)");
  serve_cmd->callback([&] { code = cli::RunServe(inv, serve); });

  CLI::App* token = Sub(&app, "token", "API tokens for tether serve");
  token->require_subcommand(1);
  cli::TokenCreateOptions token_create;
  CLI::App* token_create_cmd = Sub(token, "create", "Create a token and print it (shown only once)");
  token_create_cmd->add_option("--name", token_create.name, "Token name")->required();
  token_create_cmd->add_option("--tenant", token_create.tenant, "Tenant whose projects the token may use (default: default)");
  token_create_cmd->callback([&] { code = cli::RunTokenCreate(inv, token_create); });
  Sub(token, "list", "List tokens (never their secrets)")->callback([&] { code = cli::RunTokenList(inv); });
  CLI::App* token_revoke = Sub(token, "revoke", "Revoke a token; it stops working at once");
  token_revoke->add_option("name", name, "Token name")->required();
  token_revoke->callback([&] { code = cli::RunTokenRevoke(inv, name); });
  bool verify_deep = false;
  CLI::App* verify = Sub(&app, "verify", "Integrity report: row counts, protected data, cursors; exits 1 on a problem");
  verify->add_flag("--deep", verify_deep, "Also compare every stored row with the tree of its project's synced commit");
  verify->callback([&] { code = cli::RunVerify(inv, verify_deep); });
  Sub(&app, "backfill", "Create rows the current schema expects (idempotent); print what changed")
      ->callback([&] { code = cli::RunBackfill(inv); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cli::kExitUsage;
  }
  return code;
}
