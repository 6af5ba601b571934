// PostgreSQL array literals, for statements whose rows travel as arrays
// and are unnested on the server: one round trip for a batch instead of one
// per row (SOCI's bulk binds are a loop on PostgreSQL). Used by the
// document batches (pg_batch.cc) and the analysis results
// (analysis_store.cc). Not thread safe; a plain value.
#ifndef TETHER_PLUGINS_SQL_STORAGE_PG_ARRAY_H_
#define TETHER_PLUGINS_SQL_STORAGE_PG_ARRAY_H_

#include <cstddef>
#include <string>

namespace tether::sql_storage {

class ArrayLiteral {
 public:
  // A text element, double-quoted with '"' and '\\' escaped; NULL unquoted.
  void Text(const std::string* value) {
    Separate();
    if (value == nullptr) {
      text_ += "NULL";
      return;
    }
    text_ += '"';
    for (char c : *value) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  void Text(const std::string& value) { Text(&value); }
  void Number(long long value) {
    Separate();
    text_ += std::to_string(value);
  }
  size_t size() const { return text_.size(); }
  std::string Take() {
    std::string out = "{" + text_ + "}";
    text_.clear();
    count_ = 0;
    return out;
  }

 private:
  void Separate() {
    if (count_++ > 0) text_ += ',';
  }

  std::string text_;
  size_t count_ = 0;
};

}  // namespace tether::sql_storage

#endif  // TETHER_PLUGINS_SQL_STORAGE_PG_ARRAY_H_
