// tether: the command line. Parses arguments with CLI11 and hands each
// command to its Run* function (engine/cli/cli.h).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/cli/cli.h"
#include "engine/cli/cli_docs.h"
#include "engine/common/edit_distance.h"
#include "engine/log/log.h"

namespace {

using tether::cli::Invocation;

CLI::App* Sub(CLI::App* parent, const std::string& name, const std::string& help) {
  CLI::App* app = parent->add_subcommand(name, help);
  app->fallthrough();
  return app;
}

// Whether `arg` is an option of `apps` (the command and those it falls
// through to) that takes a value in the next argument.
bool TakesValue(const std::vector<CLI::App*>& apps, const std::string& arg) {
  for (CLI::App* app : apps) {
    const CLI::Option* option = app->get_option_no_throw(arg);
    if (option != nullptr) return option->get_items_expected_max() > 0;
  }
  return false;
}

// The words of argv walked down the command tree: "" when every command
// named exists, else 'unknown command "X" for "tether project"', with the
// closest command when one is close, or '"tether project" needs a command'
// with the list. CLI11 alone says only "A subcommand is required".
std::string UnknownCommand(CLI::App* root, int argc, char** argv) {
  std::vector<CLI::App*> path{root};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--" || arg == "-h" || arg == "--help" || arg == "--help-all" || arg == "--version") return "";
    if (arg.size() > 1 && arg[0] == '-') {
      if (arg.find('=') == std::string::npos && TakesValue(path, arg)) ++i;
      continue;
    }
    std::vector<CLI::App*> commands = path.back()->get_subcommands([](CLI::App*) { return true; });
    if (commands.empty()) return "";  // a command's own arguments
    auto named = std::find_if(commands.begin(), commands.end(), [&](CLI::App* c) { return c->get_name() == arg; });
    if (named != commands.end()) {
      path.push_back(*named);
      continue;
    }
    std::string parent = "tether";
    for (size_t k = 1; k < path.size(); ++k) parent += " " + path[k]->get_name();
    std::string message = "unknown command \"" + arg + "\" for \"" + parent + "\"";
    // Hidden commands (group "") are run when named, never suggested or listed.
    commands.erase(std::remove_if(commands.begin(), commands.end(), [](CLI::App* c) { return c->get_group().empty(); }),
                   commands.end());
    std::string closest;
    size_t best = 3;  // suggest only what is at most 2 edits away, or a prefix
    for (CLI::App* c : commands) {
      const std::string& name = c->get_name();
      size_t distance = name.compare(0, arg.size(), arg) == 0 ? 1 : tether::EditDistance(arg, name);
      if (distance < best) best = distance, closest = name;
    }
    if (!closest.empty()) message += "; did you mean \"" + closest + "\"?";
    std::string all;
    for (CLI::App* c : commands) all += (all.empty() ? "" : ", ") + c->get_name();
    return message + "\nCommands: " + all;
  }
  CLI::App* last = path.back();
  if (last->get_require_subcommand_min() == 0) return "";
  std::string named = "tether";
  for (size_t k = 1; k < path.size(); ++k) named += " " + path[k]->get_name();
  std::string all;
  for (CLI::App* c : last->get_subcommands([](CLI::App* c) { return !c->get_group().empty(); })) {
    all += (all.empty() ? "" : ", ") + c->get_name();
  }
  return "\"" + named + "\" needs a command: " + all;
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
  app.add_option("--log-format", inv.log_format,
                 "Log lines (stderr) as text or json, one JSON object per line (default: the config's "
                 "server.log_format for serve, else text)")
      ->check(CLI::IsMember({"text", "json"}))
      ->each([](const std::string& value) {
        if (auto format = tether::logging::ParseLogFormat(value)) tether::logging::SetLogFormat(*format);
      });
  app.set_version_flag("--version", std::string("tether ") + TETHER_VERSION, "Print the version and exit");
  app.footer(
      "Exit codes: 0 ok; 1 a sync or operation failed; 2 usage, config or input error;\n"
      "3 the project is already being synced by another run (nothing done);\n"
      "130 a sync was cancelled (Ctrl-C, or `tether sync --cancel`), 143 cancelled by SIGTERM.");

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
  cli::PluginsTestOptions plugins_test;
  CLI::App* plugins_test_cmd = Sub(
      plugins, "test", "Run the conformance kit against a provider, analyzer or storage: each contract, passed or failed, and why");
  plugins_test_cmd->add_option("plugin", plugins_test.plugin, "A plugin file (.so) or a bundled plugin's name")
      ->required();
  plugins_test_cmd->add_option("--adapter", plugins_test.adapter,
                               "A provider's fixture adapter, which puts its source into each state");
  plugins_test_cmd->add_option("--inputs", plugins_test.inputs,
                               "An analyzer's: a folder of files to analyse besides the kit's own");
  plugins_test_cmd->add_option("--settings", plugins_test.settings, "The plugin's settings, a JSON object");
  plugins_test_cmd->add_option("--keep", plugins_test.keep, "Keep the source and trees in this empty folder");
  plugins_test_cmd->add_option("--database", plugins_test.database,
                               "A storage's: a migrated database URL to test on (default: a new SQLite file)");
  plugins_test_cmd->add_option("--migrations", plugins_test.migrations,
                               "A storage's own migrations folder, for the new SQLite file; repeatable");
  plugins_test_cmd->add_option("--hold-write", plugins_test.hold_write)->group("");
  plugins_test_cmd->callback([&] { code = cli::RunPluginsTest(inv, plugins_test); });
  cli::PluginsNewOptions plugins_new;
  CLI::App* plugins_new_cmd =
      Sub(plugins, "new", "Write a plugin from its template, ready to build and to test with the conformance kit");
  plugins_new_cmd->add_option("--kind", plugins_new.kind, "provider, analyzer or storage")->required();
  plugins_new_cmd->add_option("name", plugins_new.name, "The new plugin's name")->required();
  plugins_new_cmd->add_option("dir", plugins_new.dir, "Where to write it (absent or empty)")->required();
  plugins_new_cmd->callback([&] { code = cli::RunPluginsNew(inv, plugins_new); });

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
  add_cmd->add_option("--every", add.every, "Sync by itself under `tether serve` every interval (\"5m\", \"1h\")");
  add_cmd->add_flag("--adaptive", add.adaptive, "Sync by itself, more often while its branch moves");
  add_cmd->add_flag("--no-schedule", add.no_schedule, "Never sync by itself, whatever the config's default");
  add_cmd->callback([&] { code = cli::RunProjectAdd(inv, add); });

  Sub(project, "list", "List projects")->callback([&] { code = cli::RunProjectList(inv); });
  std::string name, branch;
  CLI::App* show = Sub(project, "show", "Show one project with its recent runs");
  show->add_option("name", name, "Project name")->required();
  show->callback([&] { code = cli::RunProjectShow(inv, name); });
  CLI::App* remove = Sub(project, "remove", "Stop following a project and delete its rows");
  remove->add_option("name", name, "Project name")->required();
  bool remove_yes = false;
  remove->add_flag("--yes,-y", remove_yes, "Do not ask for confirmation (asked only on a terminal)");
  remove->callback([&] { code = cli::RunProjectRemove(inv, name, remove_yes); });
  CLI::App* branches = Sub(project, "branches", "List the repository's branches");
  branches->add_option("name", name, "Project name")->required();
  branches->callback([&] { code = cli::RunProjectBranches(inv, name); });
  CLI::App* select = Sub(project, "select-branch", "Sync another branch from now on");
  select->add_option("name", name, "Project name")->required();
  select->add_option("branch", branch, "Branch name")->required();
  select->callback([&] { code = cli::RunProjectSelectBranch(inv, name, branch); });
  cli::ScheduleOptions schedule;
  CLI::App* schedule_cmd =
      Sub(project, "schedule", "Choose when the project syncs by itself under `tether serve`");
  schedule_cmd->add_option("name", schedule.name, "Project name")->required();
  schedule_cmd->add_option("--every", schedule.every, "Every interval (\"90s\", \"5m\", \"1h\", \"1d\")");
  schedule_cmd->add_flag("--adaptive", schedule.adaptive,
                         "After half the time since its branch last moved (within the config's bounds)");
  schedule_cmd->add_flag("--off", schedule.off, "Never by itself");
  schedule_cmd->add_flag("--default", schedule.follow_default, "Follow the config's default schedule");
  schedule_cmd->callback([&] { code = cli::RunProjectSchedule(inv, schedule); });

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
  sync_cmd->add_flag("--no-analyze", sync.no_analyze,
                     "Sync the content only; analysis waits for the next sync or `tether analyze`");
  sync_cmd->add_option("-j,--jobs", sync.jobs, "Projects synced at once, each on its own connection (1 to 64)")
      ->check(CLI::Range(1, 64));
  sync_cmd->add_flag("--full", sync.full,
                     "Compare the whole tree with what is stored, whatever the last synced commit (a repair); "
                     "rows whose blob did not change are kept");
  sync_cmd->add_flag("--cancel", sync.cancel,
                     "Ask the sync running for each named project (in any process) to stop, and wait until it has");
  sync_cmd->callback([&] { code = cli::RunSync(inv, sync); });

  cli::AnalyzeOptions analyze;
  CLI::App* analyze_cmd = Sub(&app, "analyze", "Run the analyzers over what projects still need, without syncing");
  analyze_cmd->add_option("projects", analyze.projects, "Project names");
  analyze_cmd->add_flag("--all", analyze.all, "Every project");
  analyze_cmd->callback([&] { code = cli::RunAnalyze(inv, analyze); });

  cli::SymbolsOptions symbols;
  CLI::App* symbols_cmd = Sub(&app, "symbols", "Search a project's symbols by name (whole, prefix or sub-token)");
  symbols_cmd->add_option("name", symbols.project, "Project name")->required();
  symbols_cmd->add_option("query", symbols.query, "Name to search for, e.g. parse")->required();
  symbols_cmd->add_option("--kind", symbols.kind, "Only this kind: function, method, class, ...");
  symbols_cmd->add_option("--path", symbols.path, "Only under this path prefix");
  symbols_cmd->add_option("--analyzer", symbols.analyzer, "The analyzer whose symbols to search (default: code)");
  symbols_cmd->add_option("--limit", symbols.limit, "At most this many matches (1-1000, default 50)");
  symbols_cmd->callback([&] { code = cli::RunSymbols(inv, symbols); });

  cli::SearchOptions search;
  CLI::App* search_cmd =
      Sub(&app, "search", "Search a project's synced code: its text (default) or its symbols' names");
  search_cmd->add_option("name", search.project, "Project name")->required();
  search_cmd->add_option("query", search.query, "What to search for; text mode takes it literally, 3 characters or more")
      ->required();
  search_cmd->add_option("--mode", search.mode, "text (default), symbol, or semantic (needs an embeddings analyzer)");
  search_cmd->add_option("--limit", search.limit, "At most this many hits (1-1000, default 20)");
  search_cmd->add_option("--path", search.path, "Only under this path prefix");
  search_cmd->add_flag("--case-sensitive", search.case_sensitive, "Text mode: A-Z and a-z differ (default: they do not)");
  search_cmd->add_option("--analyzer", search.analyzer, "Symbol mode: the analyzer whose symbols to search (default: code)");
  search_cmd->callback([&] { code = cli::RunSearch(inv, search); });

  Sub(&app, "mcp",
      "Serve the Model Context Protocol on stdin/stdout for an agent: search, symbols, files and docs of the "
      "tenant's projects (--tenant; default: the connection's)")
      ->callback([&] { code = cli::RunMcp(inv); });

  cli::DocsExportOptions docs_export;
  CLI::App* docs_cmd = Sub(&app, "docs", "The documentation written from a project's analysis");
  docs_cmd->require_subcommand(1);
  CLI::App* docs_export_cmd =
      Sub(docs_cmd, "export", "Write the project's documentation as Markdown files, rewriting only what changed");
  docs_export_cmd->add_option("name", docs_export.project, "Project name")->required();
  docs_export_cmd->add_option("dir", docs_export.dir, "Folder to write (new, empty, or an earlier export)")->required();
  docs_export_cmd->add_flag("--html", docs_export.html, "Also write each page as HTML");
  docs_export_cmd->add_option("--analyzer", docs_export.analyzer, "The analyzer whose pages to write (default: docs)");
  docs_export_cmd->callback([&] { code = cli::RunDocsExport(inv, docs_export); });

  cli::GcOptions gc;
  CLI::App* gc_cmd = Sub(&app, "gc", "Remove analysis results no document has needed for the grace period");
  gc_cmd->add_option("--grace", gc.grace,
                     "How long a result stays unused, from when gc first saw it unused, before it goes (default 7d)");
  gc_cmd->callback([&] { code = cli::RunGc(inv, gc); });

  Sub(&app, "status", "Every project's sync status")->callback([&] { code = cli::RunStatus(inv); });

  cli::ServeOptions serve;
  CLI::App* serve_cmd = Sub(&app, "serve", "Serve the HTTP API until SIGTERM or SIGINT");
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (default from the config: 127.0.0.1:8080)");
  serve_cmd->add_option("--workers", serve.workers,
                        "Syncs this server runs at once (default from the config: server.sync_workers); 0: the API "
                        "and the web page only, while `tether worker` processes run the syncs")
      ->check(CLI::Range(0, 1024));
  serve_cmd->callback([&] { code = cli::RunServe(inv, serve); });

  cli::WorkerOptions worker;
  CLI::App* worker_cmd =
      Sub(&app, "worker", "Run requested and scheduled syncs, from the database, until SIGTERM or SIGINT");
  worker_cmd->add_option("--concurrency", worker.concurrency,
                         "Syncs run at once (default from the config: server.sync_workers)")
      ->check(CLI::Range(1, 1024));
  worker_cmd->add_option("--host-id", worker.host_id,
                         "The name this worker's leases give its machine (default: workers.host_id, else the host "
                         "name); workers with different names treat each other as separate machines");
  worker_cmd->callback([&] { code = cli::RunWorker(inv, worker); });

  Sub(&app, "workers", "The live workers: host, pid, version, start, last heartbeat and the projects they run")
      ->callback([&] { code = cli::RunWorkers(inv); });

  CLI::App* token = Sub(&app, "token", "API tokens for tether serve");
  token->require_subcommand(1);
  cli::TokenCreateOptions token_create;
  CLI::App* token_create_cmd = Sub(token, "create", "Create a token and print it (shown only once)");
  token_create_cmd->add_option("--name", token_create.name, "Token name")->required();
  token_create_cmd->add_option("--tenant", token_create.tenant, "Tenant whose projects the token may use (default: default)");
  token_create_cmd->add_flag("--admin", token_create.admin,
                             "Also allow the operator routes (POST /api/v1/admin/verify, /api/v1/admin/backfill) "
                             "on the whole database");
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

  Sub(&app, "doctor", "Check config, database, migrations, plugins and every project's repository; say what to fix")
      ->callback([&] { code = cli::RunDoctor(inv); });
  std::string shell;
  CLI::App* completion = Sub(&app, "completion", "Print a shell completion script: source <(tether completion bash)");
  completion->add_option("shell", shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  completion->callback([&] {
    std::fputs((shell == "zsh" ? cli::ZshCompletion(app) : cli::BashCompletion(app)).c_str(), stdout);
  });
  // The manual page, from the same definitions (built into share/man/man1).
  Sub(&app, "man", "Print tether(1) in roff")->group("")->callback([&] {
    std::fputs(cli::ManPage(app, TETHER_VERSION).c_str(), stdout);
  });
  Sub(&app, "version", "Print the version")->callback([&] { code = cli::RunVersion(inv, TETHER_VERSION); });

  // Usage errors come before --json is parsed: look for it by hand, so
  // that a script asking for JSON gets its error as JSON too.
  Invocation json_only;
  json_only.json = std::any_of(argv + 1, argv + argc, [](const char* arg) { return std::string(arg) == "--json"; });
  const std::string unknown = UnknownCommand(&app, argc, argv);
  if (!unknown.empty()) {
    cli::ReportError(json_only, tether::Status::InvalidArgument(unknown), cli::kExitUsage);
    std::fprintf(stderr, "Run with --help for more information.\n");
    return cli::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (json_only.json) return cli::ReportError(json_only, tether::Status::InvalidArgument(e.what()), cli::kExitUsage);
    app.exit(e);
    return cli::kExitUsage;
  }
  return code;
}
