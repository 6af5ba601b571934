// Internal to the migration classifier (migration_classifier.h): the
// `-- tether:` directives of a file. Where each one is (its line), reading
// them into acknowledgements (`-- tether:allow <rule> <object>`) or into
// findings about them (invalid-acknowledgement, unknown-directive), and
// whether an acknowledgement names a candidate finding.
//
// Thread safety: pure functions and value types.
#ifndef TETHER_ENGINE_MIGRATE_ACKNOWLEDGEMENTS_H_
#define TETHER_ENGINE_MIGRATE_ACKNOWLEDGEMENTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "engine/migrate/findings.h"
#include "engine/migrate/migration_classifier.h"
#include "engine/migrate/sql_script.h"

namespace tether::migrate::classifier {

// Where a directive is: its exact line, or the statement it sits above.
struct DirectiveLocation {
  int line = 0;
  bool exact = false;
};

// "file:line", "file (above line N)", or "file" when the line is unknown.
std::string Where(const std::string& file, const DirectiveLocation& at);

struct Acknowledgement {
  MigrationRule rule = MigrationRule::kDropTable;
  std::vector<std::string> object;
  std::string text;  // "allow drop-column documents.x"
  DirectiveLocation at;
  bool used = false;
};

// True when `ack` names `c`: the same parts, or the same without the schema
// the statement named.
bool Matches(const Acknowledgement& ack, const Candidate& c);

// A finding about the directive `directive` ("tether:..."): its object is
// the text after "tether:".
MigrationFinding DirectiveFinding(MigrationRule rule, const std::string& directive,
                                  const DirectiveLocation& at, std::string message);

// Reads every directive: acknowledgements into `acks`, problems into `out`.
void ReadDirectives(const std::vector<std::string>& directives,
                    const std::vector<DirectiveLocation>& locations, SqlDialect dialect,
                    const std::string& file, std::vector<Acknowledgement>* acks,
                    std::vector<MigrationFinding>* out);

// ---------------------------------------------------------------------------
// Directive lines.

// From the script alone: a directive on its own line right above a
// statement is located "above" that statement.
std::vector<DirectiveLocation> LocateFromStatements(const SqlScript& script);

// From the text: the line of each "--" comment whose text is the directive,
// in order (file_directives is in file order).
std::vector<DirectiveLocation> LocateInText(std::string_view sql,
                                            const std::vector<std::string>& directives);

}  // namespace tether::migrate::classifier

#endif  // TETHER_ENGINE_MIGRATE_ACKNOWLEDGEMENTS_H_
