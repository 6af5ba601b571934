// Imports resolved to the project's files, language by language, and the
// files ranked by how many others import them: pure functions over paths.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "repo_map.h"

using tether::docs::FileImports;
using tether::docs::PathIndex;
using tether::docs::RankByImporters;
using tether::docs::ResolveImports;

namespace {

const PathIndex kPaths({
    "include/jv.h", "src/jv.c", "src/util/jv.h", "src/util/buf.h", "src/main.c",
    "pkg/__init__.py", "pkg/io.py", "pkg/sub/__init__.py", "pkg/sub/deep.py", "src/app/cli.py",
    "web/app.ts", "web/lib/index.ts", "web/lib/math.js", "web/view.tsx",
    "cmd/tool/main.go", "internal/store/store.go", "internal/store/store_test.go", "internal/store/cache.go",
    "crate/src/lib.rs", "crate/src/net/mod.rs", "crate/src/net/tcp.rs", "crate/src/util.rs",
    "java/src/com/acme/App.java", "java/src/com/acme/model/User.java", "java/src/com/acme/model/Group.java",
    "scripts/build.sh", "scripts/lib.sh",
});

// What each import of `file` resolves to, one string per import ("" for none,
// several joined by ",").
std::vector<std::string> Resolved(const std::string& path, const std::string& language,
                                  const std::vector<std::string>& imports) {
  std::vector<std::string> out;
  for (const std::vector<std::string>& targets : ResolveImports(FileImports{path, language, imports}, kPaths)) {
    std::string joined;
    for (const std::string& t : targets) joined += (joined.empty() ? "" : ",") + t;
    out.push_back(joined);
  }
  return out;
}

}  // namespace

TEST_CASE("C and C++ includes resolve beside the includer first, then to the nearest file with that tail") {
  CHECK(Resolved("src/main.c", "c", {"<stdio.h>", "jv.h", "util/buf.h", "<jv.h>", "../include/jv.h"}) ==
        std::vector<std::string>{"", "src/util/jv.h", "src/util/buf.h", "src/util/jv.h", "include/jv.h"});
  CHECK(Resolved("src/util/buf.h", "cpp", {"jv.h"}) == std::vector<std::string>{"src/util/jv.h"});
  CHECK(Resolved("src/main.c", "c", {"../../outside.h"}) == std::vector<std::string>{""});
}

TEST_CASE("Python imports resolve to modules and packages, relative ones from the importing package") {
  CHECK(Resolved("src/app/cli.py", "python", {"os", "pkg.io", "pkg.sub", "pkg.sub.deep", "pkg"}) ==
        std::vector<std::string>{"", "pkg/io.py", "pkg/sub/__init__.py", "pkg/sub/deep.py", "pkg/__init__.py"});
  CHECK(Resolved("pkg/sub/deep.py", "python", {".", "..io", "...nothing"}) ==
        std::vector<std::string>{"pkg/sub/__init__.py", "pkg/io.py", ""});
}

TEST_CASE("JavaScript and TypeScript resolve relative specifiers with their extensions and index files") {
  CHECK(Resolved("web/app.ts", "typescript", {"./lib", "./lib/math", "./view", "react", "../../x"}) ==
        std::vector<std::string>{"web/lib/index.ts", "web/lib/math.js", "web/view.tsx", "", ""});
}

TEST_CASE("Go, Rust, Java and shell imports resolve where their paths say") {
  CHECK(Resolved("cmd/tool/main.go", "go", {"fmt", "example.com/acme/internal/store"}) ==
        std::vector<std::string>{"", "internal/store/cache.go,internal/store/store.go"});
  CHECK(Resolved("crate/src/lib.rs", "rust", {"crate::net::tcp::Conn", "crate::util", "crate::net", "std::io"}) ==
        std::vector<std::string>{"crate/src/net/tcp.rs", "crate/src/util.rs", "crate/src/net/mod.rs", ""});
  CHECK(Resolved("java/src/com/acme/App.java", "java",
                 {"com.acme.model.User", "static com.acme.model.User.NAME", "com.acme.model.*", "java.util.List"}) ==
        std::vector<std::string>{"java/src/com/acme/model/User.java", "java/src/com/acme/model/User.java",
                                 "java/src/com/acme/model/Group.java,java/src/com/acme/model/User.java", ""});
  CHECK(Resolved("scripts/build.sh", "shell", {"./lib.sh", "lib.sh", "$HOME/env.sh", "/etc/profile"}) ==
        std::vector<std::string>{"scripts/lib.sh", "scripts/lib.sh", "", ""});
  CHECK(Resolved("README.md", "markdown", {"anything"}) == std::vector<std::string>{""});
}

TEST_CASE("files are ranked by the distinct other files that import them") {
  std::vector<FileImports> files = {
      {"src/main.c", "c", {"util/jv.h", "util/buf.h", "util/jv.h"}},
      {"src/jv.c", "c", {"util/jv.h"}},
      {"src/util/buf.h", "c", {"jv.h"}},
      {"src/util/jv.h", "c", {"jv.h"}},  // itself: not counted
  };
  std::vector<tether::docs::RankedFile> ranked = RankByImporters(files, kPaths, 10);
  REQUIRE(ranked.size() == 2);
  CHECK(ranked[0].path == "src/util/jv.h");
  CHECK(ranked[0].importers == 3);
  CHECK(ranked[1].path == "src/util/buf.h");
  CHECK(ranked[1].importers == 1);
  CHECK(RankByImporters(files, kPaths, 1).size() == 1);
}
