// Internal to the migration classifier (migration_classifier.h): the
// catalog of rules (id, severity, whether a file may acknowledge it), and a
// finding before acknowledgement (Candidate) with the message it is
// reported with.
//
// Thread safety: pure functions, constant data.
#ifndef TETHER_ENGINE_MIGRATE_FINDINGS_H_
#define TETHER_ENGINE_MIGRATE_FINDINGS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/migrate/migration_classifier.h"
#include "engine/migrate/sql_tokens.h"

namespace tether::migrate::classifier {

struct RuleInfo {
  MigrationRule rule;
  std::string_view id;
  FindingSeverity severity;
  bool acknowledgeable;
};

const RuleInfo& InfoOf(MigrationRule rule);

// The ids of the rules a file may acknowledge, comma-separated.
std::string AcknowledgeableRuleList();

struct Candidate {
  MigrationRule rule = MigrationRule::kDropTable;
  Name object;
  size_t qualifiers = 0;  // leading parts of `object` that are a schema
  int line = 0;
  std::string statement;
  std::string consequence;
  // False for a potential finding the facts say is harmless now (an index on
  // an empty table): not reported, but an acknowledgement of it is used.
  bool emit = true;
  bool covered = false;  // by a table-rebuild finding
};

// `c` as reported for the file `file`: its message names the file, line,
// statement and object, and the directive that acknowledges it.
MigrationFinding ToFinding(const Candidate& c, const std::string& file);

}  // namespace tether::migrate::classifier

#endif  // TETHER_ENGINE_MIGRATE_FINDINGS_H_
