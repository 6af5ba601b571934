// Protected columns: data that no migration may lose or rewrite unless the
// migration file acknowledges it. Declared beside the migrations, in each
// migrations root, as protected.json:
//   {"protected": ["documents.embedding", "documents.content"]}
//
// Before and after each migration (inside its transaction) the runner takes
// a fingerprint of every protected column: row count, non-null count,
// declared type, and a SHA-256 of the values ordered by primary key. Any
// difference the file did not acknowledge rolls the migration back. The
// fingerprints after are stored with the migration as evidence.
//
// Thread safety: pure functions over a Database used by one thread.
// Errors: InvalidArgument for a malformed protected.json (naming file and
// entry), Internal/Unavailable for database failures.
#ifndef TETHER_ENGINE_MIGRATE_PROTECTED_COLUMNS_H_
#define TETHER_ENGINE_MIGRATE_PROTECTED_COLUMNS_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/db/database.h"
#include "tether/status.h"

namespace tether::migrate {

struct ProtectedColumn {
  std::string table;
  std::string column;
  std::string Name() const { return table + "." + column; }
};

struct ColumnFingerprint {
  std::string table;
  std::string column;
  bool exists = false;  // table and column are there
  int64_t rows = 0;
  int64_t non_null = 0;
  std::string declared_type;  // as the database reports it, lower case
  std::string values_sha256;  // of (primary key, value) pairs in key order
  std::string Name() const { return table + "." + column; }
};

// Reads protected.json from each root that has one; duplicates collapse.
Result<std::vector<ProtectedColumn>> LoadProtectedColumns(const std::vector<std::filesystem::path>& roots);

// Fingerprints `column` as it is now, in the current transaction if any.
Result<ColumnFingerprint> Fingerprint(db::Database* db, const ProtectedColumn& column);
Result<std::vector<ColumnFingerprint>> FingerprintAll(db::Database* db, const std::vector<ProtectedColumn>& columns);

struct FingerprintDifference {
  enum class Kind { kGone, kType, kRows, kNonNull, kValues };
  Kind kind;
  // One sentence, e.g. "documents.embedding: non-null values 382 -> 0".
  std::string text;
  // The column's shape changed (gone, or another type), as opposed to its data.
  bool structural() const { return kind == Kind::kGone || kind == Kind::kType; }
};

// What differs from `before` to `after`. A column that did not exist before
// and exists after (a migration creating it) is no difference.
std::vector<FingerprintDifference> Compare(const ColumnFingerprint& before, const ColumnFingerprint& after);

// Evidence as stored in schema_migrations: a JSON array of fingerprints.
std::string FingerprintsToJson(const std::vector<ColumnFingerprint>& fingerprints);
Result<std::vector<ColumnFingerprint>> FingerprintsFromJson(const std::string& json);

}  // namespace tether::migrate

#endif  // TETHER_ENGINE_MIGRATE_PROTECTED_COLUMNS_H_
