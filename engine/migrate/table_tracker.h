// Internal to the migration classifier (migration_classifier.h): what
// happens to tables across the statements of one file. Each table is an
// identity that keeps its history (created here, filled from another table,
// renamed, dropped) whatever it is called at the moment; the statement rules
// ask it whether a table is fresh, and the rebuild detection reads it after
// the last statement.
//
// Thread safety: none; one TableTracker per classified file.
#ifndef TETHER_ENGINE_MIGRATE_TABLE_TRACKER_H_
#define TETHER_ENGINE_MIGRATE_TABLE_TRACKER_H_

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/migrate/select_list.h"
#include "engine/migrate/sql_tokens.h"

namespace tether::migrate::classifier {

struct Fill {
  size_t source = kNone;  // identity the rows come from
  int line = 0;
  SelectInfo select;
  std::vector<std::string> insert_columns;  // INSERT INTO t (a, b): a, b
};

// One table through the file, whatever it is called at the moment.
struct TableIdentity {
  Name original;  // its name when the file starts; empty if created here
  Name current;
  bool created_here = false;  // CREATE TABLE without IF NOT EXISTS
  bool columns_known = false;
  std::vector<std::string> columns;     // from its CREATE TABLE
  std::set<std::string> added_columns;  // ALTER TABLE ... ADD COLUMN in this file
  std::vector<Fill> fills;              // INSERT ... SELECT / CREATE TABLE AS into it
  bool dropped = false;
  int drop_line = 0;
  int create_line = 0;
  int rename_line = 0;                     // last RENAME TO of it
  std::vector<size_t> covered_by_rebuild;  // its DROP TABLE / RENAME TO candidates

  // Created by this file and not filled from another table: nothing in it
  // can be lost.
  bool fresh() const { return created_here && fills.empty(); }
};

class TableTracker {
 public:
  explicit TableTracker(SqlDialect dialect) : dialect_(dialect) {}

  // The identity `name` refers to now; a table from before the file when
  // the file has not mentioned it.
  size_t Resolve(const Name& name) {
    auto it = by_key_.find(Key(name));
    if (it != by_key_.end()) return it->second;
    TableIdentity identity;
    identity.original = name;
    identity.current = name;
    return Add(std::move(identity));
  }

  size_t Create(const Name& name, bool if_not_exists, int line) {
    if (if_not_exists) return Resolve(name);
    TableIdentity identity;
    identity.current = name;
    identity.created_here = true;
    identity.create_line = line;
    return Add(std::move(identity));
  }

  void Drop(size_t id, int line) {
    TableIdentity& identity = ids_[id];
    identity.dropped = true;
    identity.drop_line = line;
    by_key_.erase(Key(identity.current));
  }

  void Rename(size_t id, const Name& to, int line) {
    TableIdentity& identity = ids_[id];
    by_key_.erase(Key(identity.current));
    identity.current = to;
    identity.rename_line = line;
    by_key_[Key(to)] = id;
  }

  TableIdentity& at(size_t id) { return ids_[id]; }
  const std::vector<TableIdentity>& identities() const { return ids_; }

  // Same table: equal names, ignoring the default schema (main, public).
  std::string Key(const Name& name) const {
    std::vector<std::string> parts = name.parts;
    std::string_view default_schema = dialect_ == SqlDialect::kSqlite ? "main" : "public";
    if (parts.size() == 2 && parts[0] == default_schema) parts.erase(parts.begin());
    return Join(parts, "\x1f");
  }

 private:
  size_t Add(TableIdentity identity) {
    ids_.push_back(std::move(identity));
    by_key_[Key(ids_.back().current)] = ids_.size() - 1;
    return ids_.size() - 1;
  }

  SqlDialect dialect_;
  std::vector<TableIdentity> ids_;
  std::map<std::string, size_t> by_key_;
};

}  // namespace tether::migrate::classifier

#endif  // TETHER_ENGINE_MIGRATE_TABLE_TRACKER_H_
