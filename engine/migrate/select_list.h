// Internal to the migration classifier (migration_classifier.h): the
// SELECT list of a copy (INSERT INTO t SELECT ..., CREATE TABLE t AS
// SELECT ...), read well enough to tell which columns a table rebuild
// carries over.
//
// Thread safety: pure functions and value types.
#ifndef TETHER_ENGINE_MIGRATE_SELECT_LIST_H_
#define TETHER_ENGINE_MIGRATE_SELECT_LIST_H_

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "engine/migrate/sql_tokens.h"

namespace tether::migrate::classifier {

struct SelectItem {
  bool star = false;
  std::string output;                // the column name it yields; empty if unknown
  std::set<std::string> referenced;  // every identifier in it
};

struct SelectInfo {
  bool valid = false;
  std::vector<SelectItem> items;
  Name from;              // the first table after FROM; empty if none
  bool filtered = false;  // WHERE, LIMIT or a join: maybe not every row
  bool HasStar() const {
    return std::any_of(items.begin(), items.end(), [](const SelectItem& i) { return i.star; });
  }
};

// Parses SELECT ... FROM table ... in [begin, end); `begin` is at SELECT.
SelectInfo ParseSelect(const Tokens& tokens, SqlDialect dialect, size_t begin, size_t end);

}  // namespace tether::migrate::classifier

#endif  // TETHER_ENGINE_MIGRATE_SELECT_LIST_H_
