#include "engine/migrate/rebuild_detection.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

namespace tether::migrate::classifier {
namespace {

bool Contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// What a rebuild leaves behind, as far as the file and the facts tell.
std::string RebuildLosses(const TableIdentity& copy, const Fill& fill, const Name& old_name,
                          SqlDialect dialect, const MigrationFacts& facts) {
  const SelectInfo& select = fill.select;
  std::vector<std::string> targets =
      !fill.insert_columns.empty() ? fill.insert_columns : copy.columns;
  std::vector<std::string> lost;
  // Columns of the new table the copy does not fill.
  if (copy.columns_known && (!fill.insert_columns.empty() || !select.HasStar())) {
    size_t filled = fill.insert_columns.empty() ? select.items.size() : 0;
    for (size_t i = filled; i < copy.columns.size(); ++i) {
      if (!Contains(fill.insert_columns, copy.columns[i])) lost.push_back(copy.columns[i]);
    }
  }
  // Columns of the old table the copy does not read (the facts know them).
  std::optional<std::vector<std::string>> old_columns;
  if (facts.table_columns) old_columns = facts.table_columns(ToTableRef(old_name));
  for (const std::string& raw : old_columns.value_or(std::vector<std::string>{})) {
    std::string column = dialect == SqlDialect::kSqlite ? ToLowerAscii(raw) : raw;
    bool read = false;
    for (const SelectItem& item : select.items) {
      read |= item.referenced.count(column) > 0;
      if (item.star) read |= !copy.columns_known || Contains(copy.columns, column);
    }
    if (!read && !Contains(lost, column)) lost.push_back(column);
  }
  // Values that land in a column of another name.
  std::vector<std::string> moved;
  for (size_t i = 0; i < select.items.size() && i < targets.size(); ++i) {
    const std::string& from = select.items[i].output;
    if (!from.empty() && !select.items[i].star && from != targets[i]) {
      moved.push_back(QuoteIfNeeded(from) + " -> " + QuoteIfNeeded(targets[i]));
    }
  }
  std::string out;
  if (!lost.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& column : lost) quoted.push_back(QuoteIfNeeded(column));
    out += "columns not carried over: " + Join(quoted, ", ") + "; ";
  }
  if (!moved.empty())
    out += "values copied into a column of another name: " + Join(moved, ", ") + "; ";
  if (select.filtered) out += "the copy does not read every row (WHERE, LIMIT or a join); ";
  if (out.empty()) {
    out = "the classifier cannot tell whether every column and row is carried over; ";
  }
  return out;
}

}  // namespace

void FindRebuilds(const TableTracker& tables, SqlDialect dialect, const MigrationFacts& facts,
                  std::vector<Candidate>* candidates) {
  const std::vector<TableIdentity>& ids = tables.identities();
  for (size_t old_id = 0; old_id < ids.size(); ++old_id) {
    const TableIdentity& old_table = ids[old_id];
    if (old_table.original.empty() || !old_table.dropped) continue;
    for (const TableIdentity& copy : ids) {
      if (copy.dropped || tables.Key(copy.current) != tables.Key(old_table.original)) continue;
      auto fill = std::find_if(copy.fills.begin(), copy.fills.end(),
                               [&](const Fill& f) { return f.source == old_id; });
      if (fill == copy.fills.end()) continue;
      for (size_t index : old_table.covered_by_rebuild) (*candidates)[index].covered = true;
      for (size_t index : copy.covered_by_rebuild) (*candidates)[index].covered = true;
      const Name& name = old_table.original;
      Candidate c;
      c.rule = MigrationRule::kTableRebuild;
      c.object = name;
      c.qualifiers = TableQualifiers(name);
      c.line = old_table.drop_line;
      c.statement = "table rebuild (copy, DROP TABLE, RENAME)";
      c.consequence = "rebuilds table " + name.ToString() + ": its rows are copied (line " +
                      std::to_string(fill->line) + "), the table is dropped (line " +
                      std::to_string(old_table.drop_line) + ") and the copy takes its name (line " +
                      std::to_string(copy.rename_line != 0 ? copy.rename_line : copy.create_line) +
                      "); " + RebuildLosses(copy, *fill, name, dialect, facts) +
                      "whatever the copy leaves out is lost";
      candidates->push_back(std::move(c));
    }
  }
}

}  // namespace tether::migrate::classifier
