// The command tree of `tether` (its CLI11 definition in main.cc) written
// out for shells and for man(1): one definition, so that completions and the
// manual page never disagree with --help.
//
// Thread safety: pure functions of the tree.
#ifndef TETHER_ENGINE_CLI_CLI_DOCS_H_
#define TETHER_ENGINE_CLI_CLI_DOCS_H_

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace tether::cli {

// A bash completion script: commands, subcommands and options at each
// level; files for options that take a value. Load it with
// `source <(tether completion bash)` or install it as
// share/bash-completion/completions/tether.
std::string BashCompletion(CLI::App& root);

// The same for zsh, through its bash completion support (bashcompinit).
std::string ZshCompletion(CLI::App& root);

// tether(1) in roff: synopsis, global options, every command with its
// options, exit status and environment.
std::string ManPage(CLI::App& root, const std::string& version);

}  // namespace tether::cli

#endif  // TETHER_ENGINE_CLI_CLI_DOCS_H_
