// engine/migrate/migration_classifier: every pending migration file is classified
// before it runs. Both dialects, inside and outside a transaction, with the
// database facts answered (tables have rows, and have columns) and unknown.
#include "engine/migrate/migration_classifier.h"
#include "fuzz_check.h"

using tether::migrate::MigrationFacts;
using tether::migrate::SqlDialect;
using tether::migrate::TableRef;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view sql = tether::fuzz::AsText(data, size);
  MigrationFacts known;
  known.runs_in_transaction = size % 2 == 0;
  known.table_has_rows = [](const TableRef& t) -> std::optional<bool> { return t.name.size() % 2 == 0; };
  known.table_columns = [](const TableRef& t) -> std::optional<std::vector<std::string>> {
    return std::vector<std::string>{"id", t.name, "content"};
  };
  for (SqlDialect dialect : {SqlDialect::kSqlite, SqlDialect::kPostgres}) {
    for (const MigrationFacts* facts : {static_cast<const MigrationFacts*>(&known), static_cast<const MigrationFacts*>(nullptr)}) {
      auto result = facts ? tether::migrate::ClassifyMigrationSql(sql, dialect, "0001_fuzz.sql", *facts)
                          : tether::migrate::ClassifyMigrationSql(sql, dialect, "0001_fuzz.sql");
      if (!result.ok()) continue;
      bool refused = false;
      for (const auto& f : result->findings) {
        FUZZ_CHECK(!tether::migrate::MigrationRuleId(f.rule).empty());
        FUZZ_CHECK(!f.message.empty());
        FUZZ_CHECK(f.line >= 0);
        refused = refused || (f.severity == tether::migrate::FindingSeverity::kRefused && !f.acknowledged);
      }
      FUZZ_CHECK(refused == result->refused);
      FUZZ_CHECK(tether::migrate::RefusalStatus(*result, "0001_fuzz.sql").ok() == !result->refused);
      auto script = tether::migrate::SplitSqlScript(sql, dialect, "0001_fuzz.sql");
      FUZZ_CHECK(script.ok());
      (void)tether::migrate::ClassifyMigration(*script, dialect, "0001_fuzz.sql", facts ? *facts : MigrationFacts{});
    }
  }
  return 0;
}
