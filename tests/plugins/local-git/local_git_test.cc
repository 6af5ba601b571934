// Tests of the local-git provider plugin, loaded from the build tree with
// dlopen exactly as the engine loads it. Every repository is a real git
// repository built with the git command line; expected answers are derived
// from that repository with git itself (rev-parse, ls-tree, diff-tree).

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/git_repo.h"
#include "support/plugin_library.h"
#include "support/provider_checks.h"
#include "tether/plugin.h"
#include "tether/provider.h"

namespace {

using tether::Change;
using tether::ChangeKind;
using tether::EntryKind;
using tether::Repository;
using tether::Status;
using tether::StatusCode;
using tether::testing::GitRepo;
using tether::testing::ShellQuote;
using tether::testing::CollectingSink;
using tether::testing::TempDir;

constexpr char kPluginPath[] = TETHER_PLUGIN_DIR "/liblocal-git.so";

// The plugin library, loaded once and never unloaded (like the engine does).
const tether::testing::PluginLibrary& Library() {
  static const tether::testing::PluginLibrary library(kPluginPath, "local-git");
  return library;
}

// Creates a plugin object with `settings`; on failure returns nullptr and
// fills *error.
std::unique_ptr<tether::Plugin> CreatePlugin(const std::string& settings, Status* error) {
  return Library().Create(settings, error);
}

// The provider shared by all tests (Provider::Open is thread-safe).
tether::Provider& LocalGit() {
  static std::unique_ptr<tether::Plugin> plugin = [] {
    Status error;
    std::unique_ptr<tether::Plugin> made = CreatePlugin("{}", &error);
    if (made == nullptr) throw std::runtime_error("cannot create local-git: " + error.ToString());
    return made;
  }();
  tether::Provider* provider = plugin->AsProvider();
  if (provider == nullptr) throw std::runtime_error("local-git is not a provider");
  return *provider;
}

std::unique_ptr<Repository> OpenOrFail(const std::string& url) { return tether::testing::OpenOrFail(LocalGit(), url); }

std::vector<Change> DiffOrFail(Repository& repo, const std::string& from, const std::string& to) {
  return tether::testing::ChangesOrFail(repo, from, to);
}

// One side of a raw diff, comparable with git's: the kind, the path, and
// the entry's id and mode (the new one, or the removed one for a delete).
using RawChange = std::tuple<std::string, std::string, std::string, uint32_t>;

// The provider's changes with each rename split into delete + add, which is
// what `git diff-tree --no-renames` reports.
std::multiset<RawChange> Unpaired(const std::vector<Change>& changes) {
  std::multiset<RawChange> raw;
  for (const Change& c : changes) {
    switch (c.kind) {
      case ChangeKind::kAdded:
        raw.emplace("A", c.entry.path, c.entry.blob_id, c.entry.mode);
        break;
      case ChangeKind::kModified:
        raw.emplace("M", c.entry.path, c.entry.blob_id, c.entry.mode);
        break;
      case ChangeKind::kDeleted:
        raw.emplace("D", c.entry.path, c.entry.blob_id, c.entry.mode);
        break;
      case ChangeKind::kRenamed:
        raw.emplace("D", c.old_path, c.entry.blob_id, c.entry.mode);
        raw.emplace("A", c.entry.path, c.entry.blob_id, c.entry.mode);
        break;
    }
  }
  return raw;
}

std::vector<std::string> SplitNul(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

uint32_t ParseMode(const std::string& octal) {
  return static_cast<uint32_t>(std::stoul(octal, nullptr, 8));
}

// git's own raw diff of two commits, without rename detection; a type
// change (T) counts as a modification.
std::multiset<RawChange> GitRawDiff(GitRepo& repo, const std::string& from, const std::string& to) {
  std::multiset<RawChange> raw;
  const std::vector<std::string> parts =
      SplitNul(repo.Git("diff-tree -r -z --no-renames --no-commit-id " + from + " " + to));
  for (size_t i = 0; i + 1 < parts.size(); i += 2) {
    // ":<old mode> <new mode> <old id> <new id> <status>"
    const std::string& header = parts[i];
    const std::string old_mode = header.substr(1, 6);
    const std::string new_mode = header.substr(8, 6);
    const std::string old_id = header.substr(15, 40);
    const std::string new_id = header.substr(56, 40);
    const std::string status = header.substr(97, 1);
    if (status == "D") {
      raw.emplace("D", parts[i + 1], old_id, ParseMode(old_mode));
    } else {
      raw.emplace(status == "A" ? "A" : "M", parts[i + 1], new_id, ParseMode(new_mode));
    }
  }
  return raw;
}

struct LsTreeEntry {
  uint32_t mode;
  std::string id;
};

// path -> entry for every non-tree entry of `commit`, from `git ls-tree`.
std::map<std::string, LsTreeEntry> GitListTree(GitRepo& repo, const std::string& commit) {
  std::map<std::string, LsTreeEntry> entries;
  for (const std::string& line : SplitNul(repo.Git("ls-tree -r -z --full-tree " + commit))) {
    // "<mode> <type> <id>\t<path>"
    const size_t tab = line.find('\t');
    const size_t first_space = line.find(' ');
    const size_t second_space = line.find(' ', first_space + 1);
    entries[line.substr(tab + 1)] = {ParseMode(line.substr(0, first_space)),
                                     line.substr(second_space + 1, tab - second_space - 1)};
  }
  return entries;
}

std::map<std::string, Change> ByPath(const std::vector<Change>& changes) {
  std::map<std::string, Change> by_path;
  for (const Change& c : changes) {
    INFO("duplicate change for " << c.entry.path);
    REQUIRE(by_path.emplace(c.entry.path, c).second);
  }
  return by_path;
}

// An object id this repository does not have: the id `content` would get.
// (`git hash-object` without -w computes the id without storing the object.)
std::string AbsentId(GitRepo& repo, const std::string& content) {
  TempDir scratch;
  const std::filesystem::path file = scratch.path() / "content";
  std::ofstream(file, std::ios::binary) << content;
  return repo.Git("hash-object " + ShellQuote(file.string()));
}

}  // namespace

TEST_CASE("descriptor names a provider plugin of this SDK") {
  const TetherPluginDescriptor* descriptor =
      Library().Descriptor();
  REQUIRE(descriptor != nullptr);
  CHECK(descriptor->struct_size == sizeof(TetherPluginDescriptor));
  CHECK(descriptor->abi_major == TETHER_SDK_ABI_MAJOR);
  CHECK(descriptor->abi_minor == TETHER_SDK_ABI_MINOR);
  CHECK(std::string(descriptor->toolchain) == TETHER_TOOLCHAIN_TAG);
  CHECK(descriptor->kind == TETHER_PLUGIN_PROVIDER);
  CHECK(std::string(descriptor->name) == "local-git");
  CHECK(std::string(descriptor->version) == "0.2.0");
}

TEST_CASE("create accepts empty settings and refuses others") {
  for (const char* settings : {"", "{}", " { } ", "null"}) {
    Status error;
    std::unique_ptr<tether::Plugin> plugin = CreatePlugin(settings, &error);
    INFO("settings '" << settings << "': " << error.ToString());
    REQUIRE(plugin != nullptr);
    CHECK(plugin->AsProvider() != nullptr);
  }
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"depth": 1})", "unknown key \"depth\""},
      {R"([1])", "must be a JSON object"},
      {R"({"allowed_roots": "/srv/git"})", "allowed_roots must be a list"},
      {R"({"allowed_roots": []})", "allowed_roots is empty"},
      {R"({"allowed_roots": ["/srv/git", 5]})", "allowed_roots[1] must be a string"},
      {R"({"allowed_roots": ["srv/git"]})", "allowed_roots[0] \"srv/git\" must be an absolute path"},
      {R"({"allowed_roots": )", "not valid JSON"},
      {R"({"allowed_roots": )" + std::string(1000000, '[') + std::string(1000000, ']') + "}",
       "JSON nested deeper than 64 levels at offset 81"},
  };
  for (const auto& [settings, named] : bad) {
    Status error;
    std::unique_ptr<tether::Plugin> plugin = CreatePlugin(settings, &error);
    INFO(settings.substr(0, 80) << " -> " << error.ToString());
    CHECK(plugin == nullptr);
    CHECK(error.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(error.message(), Catch::Contains("settings of plugin 'local-git' (local-git): " + named));
  }
}

TEST_CASE("allowed_roots: only repositories inside the roots open, after resolving symlinks and ..") {
  TempDir tmp;
  const std::filesystem::path root = tmp.path() / "root";
  GitRepo inside(root / "team" / "web");
  inside.Write("a.txt", "a\n");
  const std::string head = inside.Commit("first");
  GitRepo sibling(tmp.path() / "root-evil" / "secret");  // shares the prefix "root"
  sibling.Commit("private");
  GitRepo outside(tmp.path() / "private");
  outside.Commit("private");
  std::filesystem::create_directory_symlink(outside.path(), root / "escape");
  std::filesystem::create_directory_symlink(root / "team", tmp.path() / "team-link");

  Status error;
  std::unique_ptr<tether::Plugin> plugin = CreatePlugin(
      R"({"allowed_roots": [")" + root.string() + R"(", "/nonexistent/also/allowed"]})", &error);
  INFO(error.ToString());
  REQUIRE(plugin != nullptr);
  tether::Provider& provider = *plugin->AsProvider();

  SECTION("inside: a path, a file URL, a path through a symlink that lands inside") {
    for (const std::string& url :
         {inside.path().string(), inside.url(), (root / "team" / ".." / "team" / "web").string(),
          (tmp.path() / "team-link" / "web").string()}) {
      INFO(url);
      tether::Result<std::unique_ptr<Repository>> opened = provider.Open(url);
      INFO(opened.status().ToString());
      REQUIRE(opened.ok());
      tether::Result<std::string> resolved = (*opened)->ResolveBranch("main");
      REQUIRE(resolved.ok());
      CHECK(*resolved == head);
    }
  }
  SECTION("outside: a prefix sibling, a symlink out, a .. escape, a missing path, all PermissionDenied") {
    for (const std::string& url :
         {sibling.path().string(), "file://" + sibling.path().string(), (root / "escape").string(),
          (root / ".." / "private").string(), (root / "team" / ".." / ".." / "root-evil" / "secret").string(),
          (tmp.path() / "nowhere").string(), std::string("/")}) {
      INFO(url);
      tether::Result<std::unique_ptr<Repository>> opened = provider.Open(url);
      REQUIRE_FALSE(opened.ok());
      CHECK(opened.status().code() == StatusCode::kPermissionDenied);
      CHECK_THAT(opened.status().message(),
                 Catch::Contains("'" + url + "' is outside the directories local-git may open (allowed_roots: " +
                                 root.string() + ", /nonexistent/also/allowed;"));
    }
  }
  SECTION("a missing path inside the roots is NotFound, as without roots") {
    tether::Result<std::unique_ptr<Repository>> opened = provider.Open((root / "gone").string());
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().code() == StatusCode::kNotFound);
  }
  SECTION("a .git file inside the roots that points at a git directory outside them is refused") {
    const std::filesystem::path redirect = root / "redirect";
    std::filesystem::create_directories(redirect);
    std::ofstream(redirect / ".git") << "gitdir: " << (outside.path() / ".git").string() << "\n";
    CHECK(LocalGit().Open(redirect.string()).ok());  // without roots it opens
    tether::Result<std::unique_ptr<Repository>> opened = provider.Open(redirect.string());
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().code() == StatusCode::kPermissionDenied);
    CHECK_THAT(opened.status().message(), Catch::Contains("keeps its git directory outside"));
  }
}

TEST_CASE("CanonicalRepoUrl makes a relative path absolute and keeps URLs and absolute paths") {
  tether::Provider& provider = LocalGit();
  struct Case {
    std::string url, working_directory, expected;
  };
  for (const Case& c : std::vector<Case>{
           {"repo", "/home/me", "/home/me/repo"},
           {"./src/../repo.git/", "/home/me", "/home/me/repo.git"},
           {"../other", "/home/me/work", "/home/me/other"},
           {"/srv/git/web.git", "/home/me", "/srv/git/web.git"},
           {"/srv/git/web.git", "", "/srv/git/web.git"},
           {"file:///srv/git/web.git", "", "file:///srv/git/web.git"},
       }) {
    INFO(c.url << " in " << c.working_directory);
    tether::Result<std::string> canonical = provider.CanonicalRepoUrl(c.url, c.working_directory);
    INFO(canonical.status().ToString());
    REQUIRE(canonical.ok());
    CHECK(*canonical == c.expected);
  }
  tether::Result<std::string> relative = provider.CanonicalRepoUrl("repo", "");
  REQUIRE_FALSE(relative.ok());
  CHECK(relative.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(relative.status().message(), Catch::Contains("'repo' is relative"));
  // What local-git cannot open at all is left for Open to refuse.
  tether::Result<std::string> remote = provider.CanonicalRepoUrl("https://github.com/o/r.git", "");
  REQUIRE(remote.ok());
  CHECK(*remote == "https://github.com/o/r.git");
}

TEST_CASE("MatchesRepository: a remote URL the delivery carries, never a local path") {
  tether::Provider& provider = LocalGit();
  tether::RepositoryMention push;
  push.forge = "github";
  push.full_name = "Owner/Name";
  push.html_url = "https://github.com/Owner/Name";
  push.clone_url = "https://github.com/Owner/Name.git";
  push.ssh_url = "git@github.com:Owner/Name.git";
  push.git_url = "git://github.com/Owner/Name.git";
  push.svn_url = "https://github.com/Owner/Name";
  for (const std::string& url :
       {std::string("https://github.com/Owner/Name.git"), std::string("https://github.com/Owner/Name"),
        std::string("https://GITHUB.COM/Owner/Name/"), std::string("https://github.com:443/Owner/Name.git"),
        std::string("http://github.com/Owner/Name"), std::string("https://token@github.com/Owner/Name.git"),
        std::string("ssh://git@github.com/Owner/Name.git"), std::string("ssh://git@github.com:22/Owner/Name"),
        std::string("git+ssh://git@github.com/Owner/Name"), std::string("git@github.com:Owner/Name.git"),
        std::string("git@GitHub.com:Owner/Name"), std::string("github.com:/Owner/Name.git/"),
        std::string("git://github.com/Owner/Name")}) {
    INFO(url);
    CHECK(provider.MatchesRepository(url, push));
  }
  TempDir tmp;
  GitRepo clone(tmp.path() / "Owner" / "Name");  // a real repository whose path ends in the name
  clone.Write("f", "x");
  clone.Commit("one");
  for (const std::string& url :
       {clone.path().string(), clone.url(), std::string("Owner/Name"), std::string("/srv/github.com/Owner/Name"),
        std::string("file:///Owner/Name"), std::string("file://github.com/Owner/Name"),
        std::string("https://github.com/owner/name.git"), std::string("https://github.com/Owner/Name2"),
        std::string("https://github.com/Other/Name"), std::string("https://gitlab.com/Owner/Name"),
        std::string("https://github.com:8443/Owner/Name"), std::string("ftp://github.com/Owner/Name"),
        std::string("https://github.com/Owner/Name?x=1"), std::string("https://github.com/Owner/../Owner/Name"),
        std::string("https://github.com"), std::string("https://github.com/"), std::string("git@github.com:"),
        std::string("https://github.com/Owner/Name\n"), std::string("")}) {
    INFO(url);
    CHECK_FALSE(provider.MatchesRepository(url, push));
  }
  // An existing local path that reads like an scp remote is a local path.
  std::filesystem::create_directories(tmp.path() / "github.com:Owner" / "Name");
  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(tmp.path());
  const bool local_scp = provider.MatchesRepository("github.com:Owner/Name", push);
  std::filesystem::current_path(cwd);
  CHECK_FALSE(local_scp);
  // Only the URLs of the delivery count, not its name; a mention without
  // URLs matches nothing.
  tether::RepositoryMention bare;
  bare.forge = "github";
  bare.full_name = "Owner/Name";
  CHECK_FALSE(provider.MatchesRepository("https://github.com/Owner/Name.git", bare));
  bare.ssh_url = "git@github.com:Owner/Name.git";
  CHECK(provider.MatchesRepository("https://github.com/Owner/Name.git", bare));
}

TEST_CASE("Open takes a path or a file URL and names the URL in errors") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("a.txt", "a\n");
  const std::string head = repo.Commit("first");

  SECTION("path, .git path, file:// and file://localhost URLs open the same repository") {
    for (const std::string& url :
         {repo.path().string(), repo.url(), "file://localhost" + repo.path().string(),
          (repo.path() / ".git").string()}) {
      std::unique_ptr<Repository> opened = OpenOrFail(url);
      tether::Result<std::string> resolved = opened->ResolveBranch("main");
      REQUIRE(resolved.ok());
      CHECK(*resolved == head);
    }
  }
  SECTION("percent escapes in a file URL are decoded") {
    GitRepo spaced(tmp.path() / "with space");
    spaced.Commit("empty");
    std::unique_ptr<Repository> opened =
        OpenOrFail("file://" + (tmp.path() / "with%20space").string());
    CHECK(opened->ResolveBranch("main").ok());
  }
  SECTION("a file URL with a malformed or NUL %-escape is refused naming it") {
    for (const std::string url : {"file:///tmp/100%", "file:///tmp/a%zzb", "file:///tmp/a%00b"}) {
      auto opened = LocalGit().Open(url);
      REQUIRE_FALSE(opened.ok());
      CHECK(opened.status().code() == StatusCode::kInvalidArgument);
      CHECK_THAT(opened.status().message(), Catch::Contains(url) && Catch::Contains("%-escape"));
    }
  }
  SECTION("a missing directory is NotFound") {
    const std::string url = "file://" + (tmp.path() / "nowhere").string();
    auto opened = LocalGit().Open(url);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().code() == StatusCode::kNotFound);
    CHECK_THAT(opened.status().message(), Catch::Contains(url));
  }
  SECTION("a directory that is not a repository is NotFound, even inside one") {
    std::filesystem::create_directories(tmp.path() / "plain");
    for (const std::filesystem::path& dir : {tmp.path() / "plain", repo.path() / "sub"}) {
      std::filesystem::create_directories(dir);
      auto opened = LocalGit().Open(dir.string());
      REQUIRE_FALSE(opened.ok());
      CHECK(opened.status().code() == StatusCode::kNotFound);
      CHECK_THAT(opened.status().message(), Catch::Contains(dir.string()));
    }
  }
  SECTION("a repository of another user is PermissionDenied, saying whose it is and what to do") {
    if (geteuid() != 0) {
      WARN("not root: cannot give a repository to another user here");
      return;
    }
    GitRepo theirs(tmp.path() / "theirs");
    theirs.Commit("first");
    for (const auto& entry : std::filesystem::recursive_directory_iterator(theirs.path())) {
      REQUIRE(lchown(entry.path().c_str(), 10001, 10001) == 0);
    }
    REQUIRE(chown(theirs.path().c_str(), 10001, 10001) == 0);
    auto opened = LocalGit().Open(theirs.path().string());
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().code() == StatusCode::kPermissionDenied);
    CHECK_THAT(opened.status().message(),
               Catch::Contains(theirs.path().string()) && Catch::Contains("user id 10001") &&
                   Catch::Contains("safe.directory " + theirs.path().string()));
  }
  SECTION("a regular file is InvalidArgument") {
    auto opened = LocalGit().Open((repo.path() / "a.txt").string());
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().code() == StatusCode::kInvalidArgument);
  }
  SECTION("other schemes and remotes are InvalidArgument") {
    for (const std::string& url :
         {std::string("https://github.com/org/repo.git"), std::string("ssh://host/repo.git"),
          std::string("git@github.com:org/repo.git"), std::string("file://otherhost/srv/repo"),
          std::string("")}) {
      auto opened = LocalGit().Open(url);
      INFO(url);
      REQUIRE_FALSE(opened.ok());
      CHECK(opened.status().code() == StatusCode::kInvalidArgument);
      CHECK_THAT(opened.status().message(), Catch::Contains(url));
    }
  }
}

TEST_CASE("ListBranches lists branches with slashes, sorted, with the default") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");

  SECTION("an empty repository has no branch and no default") {
    auto list = OpenOrFail(repo.url())->ListBranches();
    REQUIRE(list.ok());
    CHECK(list->branches.empty());
    CHECK(list->default_branch.empty());
  }

  repo.Write("a.txt", "a\n");
  repo.Commit("first");
  repo.Git("branch release/1.0/hotfix");
  repo.Git("checkout -q -b feature/x");
  repo.Write("b.txt", "b\n");
  repo.Commit("on feature/x");
  repo.Git("checkout -q main");
  repo.Git("branch zeta");
  std::vector<std::string> expected_names =
      SplitNul(repo.Git("for-each-ref --format='%(refname:short)%00' refs/heads/"));
  for (std::string& name : expected_names) {
    name.erase(0, name.find_first_not_of('\n'));
  }
  expected_names.erase(std::remove(expected_names.begin(), expected_names.end(), ""),
                       expected_names.end());
  std::sort(expected_names.begin(), expected_names.end());
  REQUIRE(expected_names.size() == 4);

  auto check_list = [&](const std::string& expected_default) {
    auto list = OpenOrFail(repo.url())->ListBranches();
    REQUIRE(list.ok());
    std::vector<std::string> names;
    for (const tether::Branch& branch : list->branches) {
      names.push_back(branch.name);
      CHECK(branch.head == repo.Git("rev-parse " + ShellQuote("refs/heads/" + branch.name)));
      CHECK(branch.is_default == (branch.name == expected_default));
    }
    CHECK(names == expected_names);
    CHECK(list->default_branch == expected_default);
  };

  SECTION("HEAD's branch is the default") { check_list("main"); }
  SECTION("the default follows HEAD") {
    repo.Git("checkout -q feature/x");
    check_list("feature/x");
  }
  SECTION("a detached HEAD means no default") {
    repo.Git("checkout -q --detach main");
    check_list("");
  }
  SECTION("an unborn HEAD branch means no default") {
    repo.Git("symbolic-ref HEAD refs/heads/not-yet");
    check_list("");
  }
}

TEST_CASE("a bare repository works like a non-bare one") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "work");
  repo.Write("src/a.txt", "a\n");
  const std::string first = repo.Commit("first");
  repo.Git("branch feature/y");
  repo.Write("src/b.txt", "b\n");
  const std::string second = repo.Commit("second");
  const std::filesystem::path bare = tmp.path() / "bare.git";
  repo.Git("clone -q --bare . " + ShellQuote(bare.string()));
  REQUIRE(std::filesystem::exists(bare / "HEAD"));
  REQUIRE_FALSE(std::filesystem::exists(bare / ".git"));

  std::unique_ptr<Repository> opened = OpenOrFail("file://" + bare.string());
  auto list = opened->ListBranches();
  REQUIRE(list.ok());
  REQUIRE(list->branches.size() == 2);
  CHECK(list->branches[0].name == "feature/y");
  CHECK(list->branches[0].head == first);
  CHECK(list->branches[1].name == "main");
  CHECK(list->branches[1].head == second);
  CHECK(list->default_branch == "main");

  const std::vector<Change> changes = DiffOrFail(*opened, first, second);
  CHECK(Unpaired(changes) == GitRawDiff(repo, first, second));

  // The default is HEAD's symbolic target, also in a bare repository.
  repo.Git("--git-dir=" + ShellQuote(bare.string()) + " symbolic-ref HEAD refs/heads/feature/y");
  auto relisted = OpenOrFail(bare.string())->ListBranches();
  REQUIRE(relisted.ok());
  CHECK(relisted->default_branch == "feature/y");
}

TEST_CASE("ResolveBranch finds branches and reports deleted ones as NotFound") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("a.txt", "a\n");
  repo.Commit("first");
  repo.Git("branch feature/gone");
  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());
  auto before = opened->ResolveBranch("feature/gone");
  REQUIRE(before.ok());
  CHECK(*before == repo.Git("rev-parse feature/gone"));

  repo.Git("branch -D feature/gone");
  auto after = opened->ResolveBranch("feature/gone");
  REQUIRE_FALSE(after.ok());
  CHECK(after.status().code() == StatusCode::kNotFound);
  CHECK_THAT(after.status().message(), Catch::Contains("feature/gone"));

  auto invalid = opened->ResolveBranch("bad..name");
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("BranchIsAt answers from the ref files: the loose ref first, then packed-refs, never a tag or another ref") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("a.txt", "a\n");
  const std::string first = repo.Commit("first");
  repo.Write("a.txt", "b\n");
  const std::string second = repo.Commit("second");
  repo.Git("branch feature/x " + first);
  const std::filesystem::path git_dir = repo.path() / ".git";

  // A fresh Repository for each question: one that has opened libgit2
  // answers through it (checked at the end).
  auto at = [&](const std::string& branch, const std::string& commit) {
    return OpenOrFail(repo.url())->BranchIsAt(branch, commit);
  };
  // Loose refs.
  REQUIRE(std::filesystem::exists(git_dir / "refs/heads/main"));
  CHECK(at("main", second));
  CHECK_FALSE(at("main", first));
  CHECK(at("feature/x", first));
  CHECK_FALSE(at("feature/x", second));

  // Packed only.
  repo.Git("pack-refs --all");
  REQUIRE_FALSE(std::filesystem::exists(git_dir / "refs/heads/main"));
  CHECK(at("main", second));
  CHECK_FALSE(at("main", first));
  CHECK(at("feature/x", first));

  // A loose ref beside a stale packed one wins, as it does for git.
  repo.Git("update-ref refs/heads/main " + first);
  REQUIRE(std::filesystem::exists(git_dir / "refs/heads/main"));
  REQUIRE(repo.Git("rev-parse main") == first);
  CHECK(at("main", first));
  CHECK_FALSE(at("main", second));
  // Moved in packed-refs alone.
  repo.Git("update-ref refs/heads/feature/x " + second);
  repo.Git("pack-refs --all");
  REQUIRE_FALSE(std::filesystem::exists(git_dir / "refs/heads/feature/x"));
  CHECK(at("feature/x", second));
  CHECK_FALSE(at("feature/x", first));

  // Among thousands of packed refs, as a GitHub mirror holds them
  // (refs/pull/*), before and after the branch in the file's order.
  {
    std::string commands;
    for (int i = 0; i < 3000; ++i) {
      commands += "create refs/pull/" + std::to_string(i) + "/head " + (i % 2 ? first : second) + "\n";
      commands += "create refs/heads/zz/" + std::to_string(i) + " " + (i % 2 ? first : second) + "\n";
    }
    std::ofstream(tmp.path() / "refs.txt") << commands;
    repo.Git("update-ref --stdin < " + ShellQuote((tmp.path() / "refs.txt").string()));
    repo.Git("pack-refs --all");
    REQUIRE_FALSE(std::filesystem::exists(git_dir / "refs/heads/zz/2999"));
    CHECK(at("feature/x", second));
    CHECK(at("zz/0", second));
    CHECK(at("zz/2999", first));
    CHECK_FALSE(at("zz/2999", second));
    CHECK_FALSE(at("zz/3000", first));
    CHECK_FALSE(at("pull/1/head", first));  // not a branch
  }

  // A prefix or an extension of a packed name is another ref.
  CHECK_FALSE(at("feature", second));
  CHECK_FALSE(at("feature/x2", second));
  CHECK_FALSE(at("main2", first));

  // A branch holding an annotated tag of the commit: ResolveBranch peels
  // it, the ref file alone cannot tell.
  repo.Git("tag -a -m tagged v1 " + second);
  std::ofstream(git_dir / "refs/heads/tagged") << repo.Git("rev-parse v1") << "\n";  // git refuses to write it
  CHECK_FALSE(at("tagged", second));
  CHECK(*OpenOrFail(repo.url())->ResolveBranch("tagged") == second);
  // A symbolic ref.
  repo.Git("symbolic-ref refs/heads/alias refs/heads/main");
  CHECK_FALSE(at("alias", first));
  // Gone.
  repo.Git("branch -D feature/x");
  CHECK_FALSE(at("feature/x", second));

  // Names that are not plain refs, and ids that are not commit ids, are
  // never answered from files: a path out of refs/heads/ reads nothing.
  std::ofstream(git_dir / "outside") << first << "\n";
  std::ofstream(git_dir / "refs/heads/.hidden") << first << "\n";
  std::ofstream(git_dir / "refs/heads/main.lock") << first << "\n";
  for (const char* name : {"", "../outside", "../../outside", "feature/../../outside", "/main", "main/",
                                  "a//b", ".hidden", "main.lock", "ma\nin", "main ", "refs/heads/main"}) {
    INFO(name);
    CHECK_FALSE(at(name, first));
  }
  std::string upper = first;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& id : {std::string(), upper, first.substr(0, 12), first + "\n", first + "0"}) {
    INFO(id);
    CHECK_FALSE(at("main", id));
  }

  // Through libgit2, once a method has opened it, the answers are the same.
  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());
  REQUIRE(opened->ResolveBranch("main").ok());
  CHECK(opened->BranchIsAt("main", first));
  CHECK_FALSE(opened->BranchIsAt("main", second));
  CHECK(opened->BranchIsAt("tagged", second));
  CHECK_FALSE(opened->BranchIsAt("tagged", first));
  CHECK_FALSE(opened->BranchIsAt("../outside", first));
}

TEST_CASE("BranchIsAt is exact in every layout: bare, a linked worktree, a .git file, a symlinked .git") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("a.txt", "a\n");
  const std::string first = repo.Commit("first");
  repo.Write("a.txt", "b\n");
  const std::string second = repo.Commit("second");
  const std::filesystem::path bare = tmp.path() / "bare.git";
  repo.Git("clone -q --bare . " + ShellQuote(bare.string()));
  const std::filesystem::path worktree = tmp.path() / "worktree";
  repo.Git("worktree add -q -b side " + ShellQuote(worktree.string()) + " " + first);
  const std::filesystem::path separate = tmp.path() / "separate";
  const std::filesystem::path separate_git = tmp.path() / "separate-git";
  repo.Git("clone -q --separate-git-dir " + ShellQuote(separate_git.string()) + " . " + ShellQuote(separate.string()));
  const std::filesystem::path linked = tmp.path() / "linked";
  std::filesystem::create_directories(linked);
  repo.Git("clone -q --bare . " + ShellQuote((tmp.path() / "linked-git").string()));
  std::filesystem::create_directory_symlink(tmp.path() / "linked-git", linked / ".git");
  REQUIRE(std::filesystem::is_regular_file(separate / ".git"));

  for (const std::filesystem::path& path : {bare, worktree, separate, linked}) {
    INFO(path.string());
    std::unique_ptr<Repository> opened = OpenOrFail(path.string());
    CHECK(opened->BranchIsAt("main", second));
    CHECK_FALSE(OpenOrFail(path.string())->BranchIsAt("main", first));
  }
  // The linked worktree's own branch lives in the common directory.
  CHECK(OpenOrFail(worktree.string())->BranchIsAt("side", first));
  CHECK_FALSE(OpenOrFail(worktree.string())->BranchIsAt("side", second));
}

TEST_CASE("without its libgit2 half beside it, the plugin still loads and says which file it misses") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("a.txt", "a\n");
  const std::string head = repo.Commit("first");
  const std::filesystem::path separate = tmp.path() / "separate";
  repo.Git("clone -q --separate-git-dir " + ShellQuote((tmp.path() / "separate-git").string()) + " . " +
           ShellQuote(separate.string()));
  // A copy of the plugin in a folder of its own, without local-git/.
  const std::filesystem::path alone = tmp.path() / "plugins" / "liblocal-git.so";
  std::filesystem::create_directories(alone.parent_path());
  std::filesystem::copy_file(kPluginPath, alone);
  const tether::testing::PluginLibrary library(alone.string(), "local-git");
  Status error;
  std::unique_ptr<tether::Plugin> plugin = library.Create("{}", &error);
  REQUIRE(plugin != nullptr);
  tether::Provider* provider = plugin->AsProvider();
  REQUIRE(provider != nullptr);

  // A plain repository opens, and BranchIsAt needs no libgit2...
  auto plain = provider->Open(repo.url());
  REQUIRE(plain.ok());
  CHECK((*plain)->BranchIsAt("main", head));
  // ...but anything else says what is missing, as does opening a layout
  // that needs libgit2 at once.
  const std::string missing = (alone.parent_path() / "local-git" / "liblocal-git-libgit2.so").string();
  auto resolved = (*plain)->ResolveBranch("main");
  REQUIRE_FALSE(resolved.ok());
  CHECK(resolved.status().code() == StatusCode::kInternal);
  CHECK_THAT(resolved.status().message(), Catch::Contains(missing));
  auto other = provider->Open(separate.string());
  REQUIRE_FALSE(other.ok());
  CHECK_THAT(other.status().message(), Catch::Contains(missing));
}

TEST_CASE("Diff from nothing reports every entry as added") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("README.md", "# readme\n");
  repo.Write("src/main.cc", "int main() {}\n");
  repo.Write("src/util/strings.h", "#pragma once\n");
  repo.Write("bin/run.sh", "#!/bin/sh\necho hi\n", /*executable=*/true);
  repo.Symlink("docs/latest", "../README.md");
  repo.Write("empty.txt", "");
  const std::string head = repo.Commit("snapshot");

  const std::vector<Change> changes = DiffOrFail(*OpenOrFail(repo.url()), "", head);
  const std::map<std::string, LsTreeEntry> expected = GitListTree(repo, head);
  REQUIRE(changes.size() == expected.size());
  for (const Change& change : changes) {
    INFO(change.entry.path);
    CHECK(change.kind == ChangeKind::kAdded);
    CHECK(change.old_path.empty());
    auto found = expected.find(change.entry.path);
    REQUIRE(found != expected.end());
    CHECK(change.entry.blob_id == found->second.id);
    CHECK(change.entry.mode == found->second.mode);
  }
  const std::map<std::string, Change> by_path = ByPath(changes);
  CHECK(by_path.at("bin/run.sh").entry.kind == EntryKind::kExecutable);
  CHECK(by_path.at("docs/latest").entry.kind == EntryKind::kSymlink);
  CHECK(by_path.at("src/util/strings.h").entry.kind == EntryKind::kFile);
}

TEST_CASE("Diff reports adds, modifications and deletions like git") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("keep.txt", "same\n");
  repo.Write("change.txt", "old\n");
  repo.Write("gone.txt", "bye\n");
  repo.Write("dir/deep/keep.txt", "deep\n");
  repo.Write("dir/deep/change.txt", "deep old\n");
  repo.Write("olddir/x.txt", "x\n");
  repo.Write("olddir/y/z.txt", "z\n");
  const std::string from = repo.Commit("before");
  repo.Write("change.txt", "new\n");
  repo.Remove("gone.txt");
  repo.Write("dir/deep/change.txt", "deep new\n");
  repo.Write("dir/new.txt", "fresh\n");
  repo.Write("newdir/a/b.txt", "b\n");
  repo.Remove("olddir");
  const std::string to = repo.Commit("after");

  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());
  const std::vector<Change> changes = DiffOrFail(*opened, from, to);
  CHECK(Unpaired(changes) == GitRawDiff(repo, from, to));
  const std::map<std::string, Change> by_path = ByPath(changes);
  CHECK(by_path.size() == 7);
  CHECK(by_path.at("change.txt").kind == ChangeKind::kModified);
  CHECK(by_path.at("change.txt").entry.blob_id == repo.Git("rev-parse " + to + ":change.txt"));
  CHECK(by_path.at("dir/deep/change.txt").kind == ChangeKind::kModified);
  CHECK(by_path.at("gone.txt").kind == ChangeKind::kDeleted);
  CHECK(by_path.at("gone.txt").entry.blob_id == repo.Git("rev-parse " + from + ":gone.txt"));
  CHECK(by_path.at("olddir/y/z.txt").kind == ChangeKind::kDeleted);
  CHECK(by_path.at("newdir/a/b.txt").kind == ChangeKind::kAdded);
  CHECK(by_path.count("keep.txt") == 0);

  SECTION("the reverse diff mirrors it") {
    CHECK(Unpaired(DiffOrFail(*opened, to, from)) == GitRawDiff(repo, to, from));
  }
  SECTION("commits with the same tree have no changes") {
    const std::string empty_commit = repo.Commit("nothing changed");
    CHECK(DiffOrFail(*opened, to, empty_commit).empty());
    CHECK(DiffOrFail(*opened, to, to).empty());
  }
}

TEST_CASE("Diff pairs exact renames, also across directories") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("a/moved.txt", "moved content\n");
  repo.Write("a/renamed.txt", "renamed content\n");
  repo.Write("a/edited.txt", "edited content\n");
  repo.Write("a/dup1.txt", "duplicate\n");
  repo.Write("a/dup2.txt", "duplicate\n");
  repo.Write("tool.sh", "#!/bin/sh\n", /*executable=*/true);
  const std::string from = repo.Commit("before");
  repo.Move("a/moved.txt", "b/c/moved.txt");
  repo.Move("a/renamed.txt", "a/new-name.txt");
  repo.Move("a/edited.txt", "b/edited.txt");
  repo.Write("b/edited.txt", "edited content, changed\n");
  repo.Move("a/dup2.txt", "b/dup2.txt");
  repo.Move("tool.sh", "bin/tool.sh");
  const std::string to = repo.Commit("moves");

  const std::vector<Change> changes = DiffOrFail(*OpenOrFail(repo.url()), from, to);
  CHECK(Unpaired(changes) == GitRawDiff(repo, from, to));
  const std::map<std::string, Change> by_path = ByPath(changes);

  const Change& moved = by_path.at("b/c/moved.txt");
  CHECK(moved.kind == ChangeKind::kRenamed);
  CHECK(moved.old_path == "a/moved.txt");
  CHECK(moved.entry.blob_id == repo.Git("rev-parse " + from + ":a/moved.txt"));

  const Change& renamed = by_path.at("a/new-name.txt");
  CHECK(renamed.kind == ChangeKind::kRenamed);
  CHECK(renamed.old_path == "a/renamed.txt");

  // The same file name wins among deletions with the same content.
  const Change& dup = by_path.at("b/dup2.txt");
  CHECK(dup.kind == ChangeKind::kRenamed);
  CHECK(dup.old_path == "a/dup2.txt");
  CHECK(by_path.count("a/dup1.txt") == 0);

  const Change& tool = by_path.at("bin/tool.sh");
  CHECK(tool.kind == ChangeKind::kRenamed);
  CHECK(tool.old_path == "tool.sh");
  CHECK(tool.entry.kind == EntryKind::kExecutable);

  // A move with an edit is not an exact rename.
  CHECK(by_path.at("b/edited.txt").kind == ChangeKind::kAdded);
  CHECK(by_path.at("a/edited.txt").kind == ChangeKind::kDeleted);

  // Only the renames' new paths are reported; the old ones are not deleted.
  for (const char* old_path : {"a/moved.txt", "a/renamed.txt", "a/dup2.txt", "tool.sh"}) {
    CHECK(by_path.count(old_path) == 0);
  }
  CHECK(changes.size() == 6);
}

TEST_CASE("Diff reports a mode change 644 -> 755 as a modification") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("script.sh", "#!/bin/sh\necho hi\n");
  const std::string from = repo.Commit("plain");
  repo.Write("script.sh", "#!/bin/sh\necho hi\n", /*executable=*/true);
  const std::string to = repo.Commit("executable");

  const std::vector<Change> changes = DiffOrFail(*OpenOrFail(repo.url()), from, to);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].kind == ChangeKind::kModified);
  CHECK(changes[0].entry.path == "script.sh");
  CHECK(changes[0].entry.kind == EntryKind::kExecutable);
  CHECK(changes[0].entry.mode == ParseMode(repo.Git("ls-tree " + to + " script.sh").substr(0, 6)));
  CHECK(changes[0].entry.mode == 0100755);
  CHECK(changes[0].entry.blob_id == repo.Git("rev-parse " + from + ":script.sh"));
}

TEST_CASE("symlinks are recorded with their target, never followed") {
  TempDir tmp;
  TempDir outside;
  std::filesystem::create_directories(outside.path() / "secret");
  {
    GitRepo sibling(outside.path() / "secret");  // a real file outside the repository
    sibling.Write("password.txt", "hunter2\n");
  }
  GitRepo repo(tmp.path() / "repo");
  const std::string outside_target = (outside.path() / "secret" / "password.txt").string();
  repo.Symlink("links/outside", outside_target);
  repo.Symlink("links/relative-up", "../../../etc/passwd");
  repo.Write("real/file.txt", "inside\n");
  repo.Symlink("links/to-dir", "../real");
  const std::string head = repo.Commit("links");

  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());
  const std::map<std::string, Change> by_path = ByPath(DiffOrFail(*opened, "", head));
  CHECK(by_path.size() == 4);  // the link to a directory is one entry
  CHECK(by_path.count("links/to-dir/file.txt") == 0);
  for (const auto& [path, target] :
       std::map<std::string, std::string>{{"links/outside", outside_target},
                                          {"links/relative-up", "../../../etc/passwd"},
                                          {"links/to-dir", "../real"}}) {
    INFO(path);
    const Change& change = by_path.at(path);
    CHECK(change.entry.kind == EntryKind::kSymlink);
    CHECK(change.entry.mode == 0120000);
    auto blob = opened->ReadBlob(change.entry.blob_id, 1 << 20);
    REQUIRE(blob.ok());
    CHECK(blob->data == target);
    CHECK(blob->size == target.size());
  }

  SECTION("a file replaced by a symlink is a modification to kind symlink") {
    repo.Symlink("real/file.txt", "elsewhere.txt");
    const std::string next = repo.Commit("file becomes link");
    const std::vector<Change> changes = DiffOrFail(*opened, head, next);
    CHECK(Unpaired(changes) == GitRawDiff(repo, head, next));
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].kind == ChangeKind::kModified);
    CHECK(changes[0].entry.kind == EntryKind::kSymlink);
  }
}

TEST_CASE("a submodule is an entry whose id is the pinned commit") {
  TempDir tmp;
  GitRepo other(tmp.path() / "other");
  other.Write("lib.c", "int f;\n");
  const std::string pinned = other.Commit("library");

  GitRepo repo(tmp.path() / "repo");
  repo.Write("main.c", "int main;\n");
  const std::string from = repo.Commit("first");
  std::filesystem::create_directories(repo.path() / "vendor" /
                                      "lib");  // keeps `add -A` from dropping it
  repo.Git("update-index --add --cacheinfo 160000," + pinned + ",vendor/lib");
  const std::string to = repo.Commit("add submodule");
  REQUIRE(repo.Git("ls-tree " + to + " vendor/lib").substr(0, 6) == "160000");

  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());
  const std::vector<Change> changes = DiffOrFail(*opened, from, to);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].kind == ChangeKind::kAdded);
  CHECK(changes[0].entry.path == "vendor/lib");
  CHECK(changes[0].entry.kind == EntryKind::kSubmodule);
  CHECK(changes[0].entry.mode == 0160000);
  CHECK(changes[0].entry.blob_id == pinned);

  const std::map<std::string, Change> all = ByPath(DiffOrFail(*opened, "", to));
  CHECK(all.at("vendor/lib").entry.blob_id == pinned);
  CHECK(all.size() == 2);

  // The pinned commit lives in the other repository, not in this one.
  auto read = opened->ReadBlob(pinned, 1 << 20);
  REQUIRE_FALSE(read.ok());
  CHECK(read.status().code() == StatusCode::kNotFound);
}

TEST_CASE("binary files come through byte-exact") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  std::string binary;
  for (int round = 0; round < 4; ++round) {
    for (int byte = 0; byte < 256; ++byte) binary.push_back(static_cast<char>(byte));
  }
  repo.Write("image.bin", binary);
  const std::string head = repo.Commit("binary");

  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());
  const std::vector<Change> changes = DiffOrFail(*opened, "", head);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].entry.blob_id == repo.Git("hash-object image.bin"));
  auto blob = opened->ReadBlob(changes[0].entry.blob_id, binary.size());
  REQUIRE(blob.ok());
  CHECK_FALSE(blob->truncated);
  CHECK(blob->size == binary.size());
  CHECK(blob->data == binary);
}

TEST_CASE("a file replaced by a directory (and back) is a delete plus adds") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  // Neighbours whose names sort between "foo" and "foo/" in git's tree order.
  repo.Write("foo", "I am a file\n");
  repo.Write("foo-bar", "dash\n");
  repo.Write("foo.txt", "dot\n");
  repo.Write("foo0", "zero\n");
  repo.Write("fo", "shorter\n");
  repo.Write("foo-dir/inner.txt", "inner\n");
  const std::string file_version = repo.Commit("foo is a file");
  repo.Write("foo/a.txt", "now a directory\n");  // replaces the file "foo"
  repo.Write("foo/b/c.txt", "nested\n");
  const std::string dir_version = repo.Commit("foo is a directory");

  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());
  const std::vector<Change> to_dir = DiffOrFail(*opened, file_version, dir_version);
  CHECK(Unpaired(to_dir) == GitRawDiff(repo, file_version, dir_version));
  const std::map<std::string, Change> by_path = ByPath(to_dir);
  REQUIRE(by_path.size() == 3);
  CHECK(by_path.at("foo").kind == ChangeKind::kDeleted);
  CHECK(by_path.at("foo/a.txt").kind == ChangeKind::kAdded);
  CHECK(by_path.at("foo/b/c.txt").kind == ChangeKind::kAdded);

  const std::vector<Change> to_file = DiffOrFail(*opened, dir_version, file_version);
  CHECK(Unpaired(to_file) == GitRawDiff(repo, dir_version, file_version));
  const std::map<std::string, Change> back = ByPath(to_file);
  REQUIRE(back.size() == 3);
  CHECK(back.at("foo").kind == ChangeKind::kAdded);
  CHECK(back.at("foo/a.txt").kind == ChangeKind::kDeleted);
  CHECK(back.at("foo/b/c.txt").kind == ChangeKind::kDeleted);

  SECTION("a file moved into a same-named directory is a rename") {
    const std::string content = repo.Git("show " + file_version + ":foo") + "\n";
    repo.Write("foo/foo", content);
    repo.Git("rm -q -r --cached foo/a.txt foo/b");
    repo.Remove("foo/a.txt");
    repo.Remove("foo/b");
    const std::string moved = repo.Commit("file foo moved to foo/foo");
    const std::vector<Change> changes = DiffOrFail(*opened, file_version, moved);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].kind == ChangeKind::kRenamed);
    CHECK(changes[0].old_path == "foo");
    CHECK(changes[0].entry.path == "foo/foo");
  }
}

TEST_CASE("Diff merges entries in git's tree order around an unchanged directory") {
  // Git sorts a directory "foo" as "foo/", after "foo-bar" and "foo.txt"
  // ('-' and '.' sort before '/'). Changes to those neighbours must not
  // disturb the unchanged directory "foo".
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("foo/x.txt", "x\n");
  repo.Write("foo/y/z.txt", "z\n");
  repo.Write("foo-bar", "dash\n");
  repo.Write("foo.txt", "dot\n");
  repo.Write("foo!", "bang\n");
  const std::string from = repo.Commit("neighbours");
  repo.Remove("foo-bar");
  repo.Remove("foo.txt");  // the entry right before "foo/" exists on one side only
  repo.Write("foo-a/new.txt", "new directory before foo/\n");
  repo.Write("foo0", "after foo/\n");
  repo.Remove("foo!");
  const std::string to = repo.Commit("neighbours changed");

  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());
  for (const auto& [a, b] :
       std::vector<std::pair<std::string, std::string>>{{from, to}, {to, from}}) {
    const std::vector<Change> changes = DiffOrFail(*opened, a, b);
    CHECK(Unpaired(changes) == GitRawDiff(repo, a, b));
    const std::map<std::string, Change> by_path = ByPath(changes);
    CHECK(by_path.size() == 5);
    for (const auto& [path, change] : by_path) {
      INFO(path);
      CHECK(path.rfind("foo/", 0) != 0);  // nothing inside the unchanged directory
      CHECK(change.kind != ChangeKind::kRenamed);
    }
  }
}

TEST_CASE("IsAncestor follows history and survives a force push") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("a.txt", "1\n");
  const std::string first = repo.Commit("first");
  repo.Write("a.txt", "2\n");
  const std::string second = repo.Commit("second");
  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());

  auto check = [&](const std::string& ancestor, const std::string& commit, bool expected) {
    auto result = opened->IsAncestor(ancestor, commit);
    INFO(ancestor << " ancestor of " << commit << ": " << result.status().ToString());
    REQUIRE(result.ok());
    CHECK(*result == expected);
  };
  check(first, second, true);
  check(second, second, true);
  check(second, first, false);

  // Force push: the branch is rewritten; the old head is no longer in its
  // history (it is still in the object database, through the reflog).
  repo.Git("reset -q --hard HEAD~1");
  repo.Write("a.txt", "rewritten\n");
  const std::string rewritten = repo.Commit("rewritten history");
  REQUIRE(repo.Git("rev-parse main") == rewritten);
  check(second, rewritten, false);
  check(first, rewritten, true);

  // An ancestor the repository never had is simply not an ancestor.
  check(AbsentId(repo, "never committed"), rewritten, false);
  // A blob id is not a commit, so not an ancestor either.
  check(repo.Git("rev-parse HEAD:a.txt"), rewritten, false);

  auto unknown_commit = opened->IsAncestor(first, AbsentId(repo, "no such commit"));
  REQUIRE_FALSE(unknown_commit.ok());
  CHECK(unknown_commit.status().code() == StatusCode::kNotFound);

  auto malformed = opened->IsAncestor("not-an-id", rewritten);
  REQUIRE_FALSE(malformed.ok());
  CHECK(malformed.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("IsAncestor is exact whatever the commit dates say") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("a.txt", "1\n");
  repo.Commit("first");
  const std::string tree = repo.Git("rev-parse HEAD^{tree}");
  // Commits written by hand, so that their committer dates are what the
  // test says (days since 2020-01-01).
  int written = 0;
  auto commit = [&](const std::vector<std::string>& parents, int day) {
    const std::string file = (tmp.path() / ("commit" + std::to_string(++written))).string();
    std::ofstream out(file, std::ios::binary);
    out << "tree " << tree << "\n";
    for (const std::string& parent : parents) out << "parent " << parent << "\n";
    const std::string when = std::to_string(1577836800 + day * 86400) + " +0000";
    out << "author T <t@t.invalid> " << when << "\ncommitter T <t@t.invalid> " << when << "\n\nc" << written
        << "\n";
    out.close();
    return repo.Git("hash-object -t commit -w " + ShellQuote(file));
  };
  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());
  auto is_ancestor = [&](const std::string& ancestor, const std::string& descendant) {
    auto result = opened->IsAncestor(ancestor, descendant);
    INFO(result.status().ToString());
    REQUIRE(result.ok());
    return *result;
  };

  // A long line with a side branch merged into it: found by walking back.
  const std::string root = commit({}, 10);
  std::vector<std::string> line = {root};
  for (int day = 11; day < 60; ++day) line.push_back(commit({line.back()}, day));
  const std::string side = commit({line[20]}, 25);
  const std::string merged = commit({line.back(), side}, 61);
  CHECK(is_ancestor(root, merged));
  CHECK(is_ancestor(line[30], merged));
  CHECK(is_ancestor(side, merged));
  CHECK_FALSE(is_ancestor(merged, root));
  CHECK_FALSE(is_ancestor(side, line.back()));  // older and unreachable: the whole history is walked

  // Dates that lie: children dated days before their parent. The walk by
  // date stops early; the answer is still exact.
  const std::string late = commit({merged}, 100);
  const std::string early = commit({late}, 3);
  const std::string earlier = commit({early}, 2);
  CHECK(is_ancestor(late, earlier));
  CHECK(is_ancestor(root, earlier));
  // Newer than the commit asked about, and not in its history.
  const std::string unrelated = commit({root}, 200);
  CHECK_FALSE(is_ancestor(unrelated, earlier));
  CHECK_FALSE(is_ancestor(unrelated, merged));
}

TEST_CASE("Diff of an unknown commit is NotFound naming the id") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  repo.Write("a.txt", "a\n");
  const std::string head = repo.Commit("first");
  const std::string unknown = AbsentId(repo, "unknown commit");
  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());

  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {unknown, head}, {head, unknown}, {"", unknown}}) {
    CollectingSink sink;
    Status status = opened->Diff(from, to, &sink);
    CHECK(status.code() == StatusCode::kNotFound);
    CHECK_THAT(status.message(), Catch::Contains(unknown));
    CHECK(sink.changes.empty());
  }
  CollectingSink sink;
  Status malformed = opened->Diff("", "xyz", &sink);
  CHECK(malformed.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(malformed.message(), Catch::Contains("xyz"));
}

TEST_CASE("non-UTF-8 file names come through byte-exact") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  const std::string latin1_name = "caf\xe9.txt";        // "café" in Latin-1
  const std::string latin1_dir = "d\xff\xfe/na\xefve";  // invalid UTF-8 bytes
  repo.Write(latin1_name, "latin-1 name\n");
  repo.Write(latin1_dir, "inside\n");
  const std::string from = repo.Commit("latin-1 names");

  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());
  const std::map<std::string, Change> by_path = ByPath(DiffOrFail(*opened, "", from));
  const std::map<std::string, LsTreeEntry> listed = GitListTree(repo, from);
  REQUIRE(listed.count(latin1_name) == 1);
  REQUIRE(listed.count(latin1_dir) == 1);
  REQUIRE(by_path.size() == listed.size());
  CHECK(by_path.at(latin1_name).entry.blob_id == listed.at(latin1_name).id);
  CHECK(by_path.at(latin1_dir).entry.blob_id == listed.at(latin1_dir).id);

  repo.Move(latin1_name, "renamed-\xe9.txt");
  const std::string to = repo.Commit("rename it");
  const std::vector<Change> changes = DiffOrFail(*opened, from, to);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].kind == ChangeKind::kRenamed);
  CHECK(changes[0].old_path == latin1_name);
  CHECK(changes[0].entry.path == "renamed-\xe9.txt");
}

TEST_CASE("ReadBlob returns the size always and the bytes only within the limit") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  const std::string content(10000, 'x');
  repo.Write("big.txt", content);
  const std::string head = repo.Commit("big");
  const std::string blob_id = repo.Git("rev-parse " + head + ":big.txt");
  const uint64_t size = std::stoull(repo.Git("cat-file -s " + blob_id));
  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());

  auto truncated = opened->ReadBlob(blob_id, size - 1);
  REQUIRE(truncated.ok());
  CHECK(truncated->truncated);
  CHECK(truncated->size == size);
  CHECK(truncated->data.empty());

  auto zero_limit = opened->ReadBlob(blob_id, 0);
  REQUIRE(zero_limit.ok());
  CHECK(zero_limit->truncated);
  CHECK(zero_limit->size == size);

  auto exact = opened->ReadBlob(blob_id, size);
  REQUIRE(exact.ok());
  CHECK_FALSE(exact->truncated);
  CHECK(exact->data == content);

  auto missing = opened->ReadBlob(AbsentId(repo, "missing blob"), 100);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);

  auto tree = opened->ReadBlob(repo.Git("rev-parse " + head + "^{tree}"), 100);
  REQUIRE_FALSE(tree.ok());
  CHECK(tree.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("a sink error stops the diff and comes back unchanged") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  for (int i = 0; i < 10; ++i) repo.Write("f" + std::to_string(i) + ".txt", std::to_string(i));
  const std::string from = repo.Commit("ten files");
  for (int i = 0; i < 10; ++i) repo.Write("f" + std::to_string(i) + ".txt", "changed");
  repo.Write("added.txt", "new");
  const std::string to = repo.Commit("all changed");

  class StoppingSink : public tether::ChangeSink {
   public:
    Status OnChange(const Change&) override {
      if (++calls == 3) return Status::RateLimited("sink is full", 42);
      return Status::Ok();
    }
    int calls = 0;
  };
  std::unique_ptr<Repository> opened = OpenOrFail(repo.url());
  for (const std::string& base : {std::string(), from}) {
    StoppingSink sink;
    Status status = opened->Diff(base, to, &sink);
    CHECK(status.code() == StatusCode::kRateLimited);
    CHECK(status.message() == "sink is full");
    CHECK(status.retry_after_seconds() == 42);
    CHECK(sink.calls == 3);
  }
}

TEST_CASE("repositories opened on several threads work independently") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  for (int i = 0; i < 50; ++i)
    repo.Write("d" + std::to_string(i % 5) + "/f" + std::to_string(i), "x" + std::to_string(i));
  const std::string from = repo.Commit("first");
  for (int i = 0; i < 50; i += 7)
    repo.Write("d" + std::to_string(i % 5) + "/f" + std::to_string(i), "y");
  const std::string to = repo.Commit("second");
  const std::multiset<RawChange> expected = GitRawDiff(repo, from, to);

  constexpr int kThreads = 8;
  std::vector<std::multiset<RawChange>> results(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        auto opened = LocalGit().Open(repo.url());
        if (!opened.ok()) {
          errors[t] = opened.status().ToString();
          return;
        }
        CollectingSink sink;
        Status status = (*opened)->Diff(from, to, &sink);
        if (!status.ok()) {
          errors[t] = status.ToString();
          return;
        }
        results[t] = Unpaired(sink.changes);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t);
    CHECK(errors[t].empty());
    CHECK(results[t] == expected);
  }
}

TEST_CASE("two repositories of one URL work at once, and ReadBlob may be the first call") {
  TempDir tmp;
  GitRepo repo(tmp.path() / "repo");
  std::map<std::string, std::string> contents;
  for (int i = 0; i < 120; ++i) {
    const std::string path = "d" + std::to_string(i % 6) + "/f" + std::to_string(i) + ".txt";
    contents[path] = "file " + std::to_string(i) + "\n" + std::string(static_cast<size_t>(i) * 37, 'a' + i % 26);
    repo.Write(path, contents[path]);
  }
  repo.Commit("files");
  tether::testing::CheckRepositoriesOfOneUrlAtOnce(LocalGit(), repo.url(), "main", contents);
}
