// The tether command line: shared state of one invocation, exit codes, and
// the commands (one function per command; each returns the exit code).
#ifndef TETHER_ENGINE_CLI_CLI_H_
#define TETHER_ENGINE_CLI_CLI_H_

#include <memory>
#include <string>
#include <vector>

#include "engine/app/runtime.h"
#include "engine/db/run_store.h"
#include "engine/sync/cancellation.h"
#include "tether/status.h"

namespace tether {
class JsonWriter;
}  // namespace tether

namespace tether::cli {

// Documented in the README; scripts depend on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,  // a sync (or another operation) failed; `plugins check` found a broken plugin
  kExitUsage = 2,   // bad usage, bad config, unknown project or branch, pending migrations
  kExitBusy = 3,    // the project is already being synced by another run; nothing was done
  // A sync was cancelled (rolled back, recorded "cancelled"): by SIGINT
  // (Ctrl-C), or by a cancel request (`tether sync --cancel`, the API).
  kExitCancelled = 130,  // 128 + SIGINT, what a shell reports for Ctrl-C
  kExitTerminated = 143, // 128 + SIGTERM: cancelled by SIGTERM (a supervisor stopping it)
};

struct Invocation {
  std::string config_flag;  // --config
  bool json = false;        // --json: machine output on stdout
  std::string tenant;       // --tenant: of the projects named; empty: the connection's
  std::string log_format;   // --log-format: "text" or "json"; empty: not given (the config's, for serve)
};

// The tenant the invocation's project names are in: --tenant, or else the
// connection's (db::ConnectionTenant).
Result<std::string> TenantOf(const Invocation& inv, db::Database* db);

// Prints "tether: error: ..." to stderr (and with --json, on stdout,
// {"error": {"code": "not_found", "message": ...}, "exit_code": 2}) and
// returns the exit code that fits the status (kExitUsage for bad input,
// kExitBusy for a conflict, kExitFailed otherwise).
int ReportError(const Invocation& inv, const Status& status);
// The exit code ReportError(inv, status) returns.
int ExitCodeFor(const Status& status);
// The same with the exit code given (a name already taken is bad usage, 2,
// although its status is a conflict).
int ReportError(const Invocation& inv, const Status& status, int exit_code);

// Prints a finished --json document on stdout.
void PrintJson(const JsonWriter& json);

// Loads the runtime from the invocation's config, or reports why not.
Result<std::unique_ptr<app::Runtime>> LoadRuntime(const Invocation& inv);

struct InitOptions {
  std::string database_url;  // empty: sqlite:tether.db next to the config
  bool force = false;
};
int RunInit(const Invocation& inv, const InitOptions& options);

int RunPluginsList(const Invocation& inv, bool check);
struct PluginsTestOptions {
  std::string plugin;    // a bundled plugin's name, or a plugin file's path
  std::string adapter;   // a provider's fixture adapter (engine/conformance/fixture_adapter.h)
  std::string inputs;    // an analyzer's: a folder of the author's files, added to the kit's corpus
  std::string settings;  // the plugin's settings, a JSON object; "" for none
  std::string keep;      // keep the adapter's source and trees in this empty folder; "" removes them
  std::string database;  // a storage's: a migrated database to test on; "" a new SQLite file
  std::vector<std::string> migrations;  // a storage's own migrations folders, for that new file
  std::string hold_write;  // "ID:TENANT": be the storage kit's killed writer (hidden)
};
// Exit 0 when every contract held (or was skipped), 1 when one broke or the
// kit stopped early on the plugin's account, 2 for bad usage or an adapter
// that fails.
int RunPluginsTest(const Invocation& inv, const PluginsTestOptions& options);
struct PluginsNewOptions {
  std::string kind;  // "provider" or "analyzer"
  std::string name;  // the new plugin's name
  std::string dir;   // where to write it: absent or empty
};
int RunPluginsNew(const Invocation& inv, const PluginsNewOptions& options);
struct MigrateOptions {
  std::vector<std::string> dirs;  // --dir: more migrations roots (plugins ship their own)
  bool dry_run = false;           // apply --dry-run: print the plan, change nothing
};
int RunMigrateStatus(const Invocation& inv, const MigrateOptions& options);
int RunMigratePlan(const Invocation& inv, const MigrateOptions& options);
int RunMigrateApply(const Invocation& inv, const MigrateOptions& options);
int RunMigrateVerify(const Invocation& inv, const MigrateOptions& options);

struct ProjectAddOptions {
  std::string name;
  std::string provider;  // empty: the config's default provider
  std::string storage;   // empty: the config's default storage
  std::string repo;
  std::string branch;    // empty: the repository's default branch
  std::string every;     // --every: its own schedule, an interval
  bool adaptive = false; // --adaptive: its own adaptive schedule
  bool no_schedule = false;  // --no-schedule: never by itself
};
int RunProjectAdd(const Invocation& inv, const ProjectAddOptions& options);
// project schedule NAME: exactly one of --every D, --adaptive, --off, --default.
struct ScheduleOptions {
  std::string name;
  std::string every;
  bool adaptive = false;
  bool off = false;
  bool follow_default = false;
};
int RunProjectSchedule(const Invocation& inv, const ScheduleOptions& options);
int RunProjectList(const Invocation& inv);
int RunProjectShow(const Invocation& inv, const std::string& name);
// Asks for confirmation when stdin is a terminal, unless `yes`; says how
// many documents go.
int RunProjectRemove(const Invocation& inv, const std::string& name, bool yes);
int RunProjectBranches(const Invocation& inv, const std::string& name);
int RunProjectSelectBranch(const Invocation& inv, const std::string& name, const std::string& branch);
int RunProjectEnable(const Invocation& inv, const std::string& name, bool enabled);

struct SyncOptions {
  std::vector<std::string> projects;
  bool all = false;
  std::string trigger = "cli";
  // --cancel: ask the run holding each named project (in any process) to
  // stop, and wait until it has, instead of syncing.
  bool cancel = false;
  bool no_analyze = false;  // --no-analyze: the copy only
  bool full = false;        // --full: the whole tree against the stored rows (a repair)
  int jobs = 1;             // -j/--jobs: projects synced at once
};
int RunSync(const Invocation& inv, const SyncOptions& options);

// The invocation's stop token, set by the first SIGINT or SIGTERM once
// CatchStopSignals has run (a second one ends the process at once).
const sync::CancelToken& StopToken();
void CatchStopSignals();

// What the analyze phase did, a line per analyzer ("  code: 12 analyzed, 3
// reused, 0 failed, 2 skipped"); errors as warnings on stderr.
void PrintAnalysis(const std::vector<db::AnalyzerTally>& tallies);

struct AnalyzeOptions {
  std::vector<std::string> projects;
  bool all = false;
};
int RunAnalyze(const Invocation& inv, const AnalyzeOptions& options);

struct SymbolsOptions {
  std::string project;
  std::string query;
  std::string kind;                // --kind
  std::string path;                // --path: a path prefix
  std::string analyzer = "code";   // --analyzer: whose symbols
  int limit = 50;                  // --limit
};
int RunSymbols(const Invocation& inv, const SymbolsOptions& options);

struct SearchOptions {
  std::string project;
  std::string query;
  std::string mode = "text";      // --mode: text, symbol or semantic
  int limit = 20;                 // --limit
  std::string path;               // --path: a path prefix
  bool case_sensitive = false;    // --case-sensitive
  std::string analyzer = "code";  // --analyzer: whose symbols, in symbol mode
};
int RunSearch(const Invocation& inv, const SearchOptions& options);

// The MCP server on stdin/stdout until stdin ends (engine/mcp).
int RunMcp(const Invocation& inv);

struct DocsExportOptions {
  std::string project;
  std::string dir;
  bool html = false;              // --html: an HTML file beside each page
  std::string analyzer = "docs";  // --analyzer: the documentation analyzer whose pages to write
};
int RunDocsExport(const Invocation& inv, const DocsExportOptions& options);

struct GcOptions {
  std::string grace = "7d";  // --grace
};
int RunGc(const Invocation& inv, const GcOptions& options);
int RunStatus(const Invocation& inv);

struct ServeOptions {
  std::string listen;  // --listen HOST:PORT; empty: the config's server.listen
  int workers = -1;    // --workers N; -1: the config's server.sync_workers
};
int RunServe(const Invocation& inv, const ServeOptions& options);

struct WorkerOptions {
  int concurrency = 0;  // --concurrency N; 0: the config's server.sync_workers
  std::string host_id;  // --host-id; empty: workers.host_id, else the host name
};
int RunWorker(const Invocation& inv, const WorkerOptions& options);
// The live workers, with what each runs now.
int RunWorkers(const Invocation& inv);

struct TokenCreateOptions {
  std::string name;
  std::string tenant = "default";
  bool admin = false;  // --admin: the token may also call /api/v1/admin/...
};
int RunTokenCreate(const Invocation& inv, const TokenCreateOptions& options);
int RunTokenList(const Invocation& inv);
int RunTokenRevoke(const Invocation& inv, const std::string& name);
// Integrity report after a migration; exits 1 on any problem.
int RunVerify(const Invocation& inv, bool deep);
// Fills rows the current schema expects; idempotent.
int RunBackfill(const Invocation& inv);
// Checks the config, database, migrations, plugins and each project's
// repository; exits 1 when anything needs fixing.
int RunDoctor(const Invocation& inv);
// The version of tether and of the plugin SDK (ABI) it loads; needs no config.
int RunVersion(const Invocation& inv, const std::string& version);

}  // namespace tether::cli

#endif  // TETHER_ENGINE_CLI_CLI_H_
