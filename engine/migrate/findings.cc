#include "engine/migrate/findings.h"

#include <optional>
#include <string>
#include <utility>

namespace tether::migrate::classifier {
namespace {

constexpr RuleInfo kRules[] = {
    {MigrationRule::kDropTable, "drop-table", FindingSeverity::kRefused, true},
    {MigrationRule::kDropSchema, "drop-schema", FindingSeverity::kRefused, true},
    {MigrationRule::kDropDatabase, "drop-database", FindingSeverity::kRefused, true},
    {MigrationRule::kDropExtension, "drop-extension", FindingSeverity::kRefused, true},
    {MigrationRule::kDropType, "drop-type", FindingSeverity::kRefused, true},
    {MigrationRule::kDropColumn, "drop-column", FindingSeverity::kRefused, true},
    {MigrationRule::kRenameTable, "rename-table", FindingSeverity::kRefused, true},
    {MigrationRule::kRenameColumn, "rename-column", FindingSeverity::kRefused, true},
    {MigrationRule::kAlterColumnType, "alter-column-type", FindingSeverity::kRefused, true},
    {MigrationRule::kTruncate, "truncate", FindingSeverity::kRefused, true},
    {MigrationRule::kDeleteWithoutWhere, "delete-without-where", FindingSeverity::kRefused, true},
    {MigrationRule::kUpdateWithoutWhere, "update-without-where", FindingSeverity::kRefused, true},
    {MigrationRule::kCascade, "cascade", FindingSeverity::kRefused, true},
    {MigrationRule::kTableRebuild, "table-rebuild", FindingSeverity::kRefused, true},
    {MigrationRule::kAddNotNullWithoutDefault, "add-not-null-without-default",
     FindingSeverity::kRefused, true},
    {MigrationRule::kIndexConcurrentlyInTransaction, "index-concurrently-in-transaction",
     FindingSeverity::kRefused, true},
    {MigrationRule::kIndexWithoutConcurrently, "index-without-concurrently",
     FindingSeverity::kWarning, true},
    {MigrationRule::kProtectedChange, "protected-change", FindingSeverity::kRefused, true},
    {MigrationRule::kUnusedAcknowledgement, "unused-acknowledgement", FindingSeverity::kWarning,
     false},
    {MigrationRule::kInvalidAcknowledgement, "invalid-acknowledgement", FindingSeverity::kRefused,
     false},
    {MigrationRule::kUnknownDirective, "unknown-directive", FindingSeverity::kWarning, false},
};

std::string Directive(MigrationRule rule, const std::string& object) {
  return "-- tether:allow " + std::string(MigrationRuleId(rule)) + " " + object;
}

}  // namespace

const RuleInfo& InfoOf(MigrationRule rule) {
  for (const RuleInfo& info : kRules) {
    if (info.rule == rule) return info;
  }
  return kRules[0];  // unreachable: every enumerator is listed
}

std::string AcknowledgeableRuleList() {
  std::string out;
  for (const RuleInfo& info : kRules) {
    if (!info.acknowledgeable) continue;
    if (!out.empty()) out += ", ";
    out += info.id;
  }
  return out;
}

MigrationFinding ToFinding(const Candidate& c, const std::string& file) {
  MigrationFinding f;
  f.rule = c.rule;
  f.severity = InfoOf(c.rule).severity;
  f.object = c.object.ToString();
  f.line = c.line;
  f.statement = c.statement;
  std::string head = file + ":" + std::to_string(c.line) + ": " + c.statement + " on " + f.object +
                     ": " + c.consequence + ". ";
  if (f.severity == FindingSeverity::kRefused) {
    f.message = head + "Refused: if this is intended, acknowledge it in the file with the line \"" +
                Directive(c.rule, f.object) + "\".";
  } else {
    f.message =
        head + "Warning: to acknowledge it, add the line \"" + Directive(c.rule, f.object) + "\".";
  }
  return f;
}

}  // namespace tether::migrate::classifier

// The rules as migration_classifier.h offers them.
namespace tether::migrate {

std::string_view MigrationRuleId(MigrationRule rule) { return classifier::InfoOf(rule).id; }

std::optional<MigrationRule> ParseAcknowledgeableRule(std::string_view id) {
  for (const classifier::RuleInfo& info : classifier::kRules) {
    if (info.acknowledgeable && info.id == id) return info.rule;
  }
  return std::nullopt;
}

std::string_view FindingSeverityName(FindingSeverity severity) {
  return severity == FindingSeverity::kRefused ? "refused" : "warning";
}

}  // namespace tether::migrate
