// A list of values bound as one statement parameter, for "column IN list"
// filters over a batch without a statement per value or SQL built from the
// values: a JSON array read by json_each on SQLite, an array literal on
// PostgreSQL. A plain value; not thread safe.
#ifndef TETHER_PLUGINS_SQL_STORAGE_SQL_LIST_H_
#define TETHER_PLUGINS_SQL_STORAGE_SQL_LIST_H_

#include <string>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "pg_array.h"
#include "shared/sql_connect.h"

namespace tether::sql_storage {

class SqlList {
 public:
  explicit SqlList(db::Dialect dialect) : dialect_(dialect), json_(buffer_) { json_.StartArray(); }

  void Add(const std::string& value) {
    ++count_;
    if (dialect_ == db::Dialect::kPostgres) {
      array_.Text(value);
    } else {
      json_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    }
  }
  void Add(long long value) {
    ++count_;
    if (dialect_ == db::Dialect::kPostgres) {
      array_.Number(value);
    } else {
      json_.Int64(value);
    }
  }
  size_t count() const { return count_; }

  // The parameter's value. Call once.
  std::string Take() {
    if (dialect_ == db::Dialect::kPostgres) return array_.Take();
    json_.EndArray();
    return buffer_.GetString();
  }

  // SQL for "`column` is in the list bound as :`name`"; `type` is the
  // PostgreSQL element type ("text", "bigint").
  static std::string In(db::Dialect dialect, const std::string& column, const std::string& name,
                        const std::string& type) {
    if (dialect == db::Dialect::kPostgres) return column + " = ANY(CAST(:" + name + " AS " + type + "[]))";
    return column + " IN (SELECT value FROM json_each(:" + name + "))";
  }

 private:
  db::Dialect dialect_;
  size_t count_ = 0;
  ArrayLiteral array_;
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> json_;
};

}  // namespace tether::sql_storage

#endif  // TETHER_PLUGINS_SQL_STORAGE_SQL_LIST_H_
