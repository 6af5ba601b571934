#include "engine/migrate/protected_columns.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <soci/soci.h>

#include "engine/common/json_writer.h"
#include "engine/common/sha256.h"
#include "shared/row_values.h"
#include "tether/json_depth.h"

namespace tether::migrate {

using db::Database;
using db::Dialect;
using db::RowInt;
using db::StatusFromCurrentException;

namespace {

// Identifiers are checked against this before they go into SQL text.
const std::regex kIdentifier(R"([a-z_][a-z0-9_]*)");

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

Result<bool> TableColumnType(Database* db, const ProtectedColumn& c, std::string* type, std::string* key) {
  soci::session& s = db->session();
  if (db->dialect() == Dialect::kSqlite) {
    soci::rowset<soci::row> rows = (s.prepare << "SELECT name, type, pk FROM pragma_table_info(:t)", soci::use(c.table));
    bool found = false;
    std::string pk;
    for (const soci::row& row : rows) {
      std::string name = row.get<std::string>(0);
      if (Lower(name) == c.column) {
        found = true;
        *type = Lower(row.get<std::string>(1));
      }
      if (RowInt(row, 2) == 1) pk = name;
    }
    *key = pk.empty() ? "rowid" : pk;
    return found;
  }
  std::string found_type;
  soci::indicator ind = soci::i_null;
  s << "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
       " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
       " WHERE n.nspname = current_schema() AND c.relname = :t AND a.attname = :c"
       " AND a.attnum > 0 AND NOT a.attisdropped",
      soci::use(c.table), soci::use(c.column), soci::into(found_type, ind);
  if (ind == soci::i_null || !s.got_data()) return false;
  *type = Lower(found_type);
  std::string pk;
  soci::indicator pk_ind = soci::i_null;
  s << "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
       " AND a.attnum = i.indkey[0] WHERE i.indisprimary AND i.indrelid = CAST(:t AS regclass)",
      soci::use(c.table), soci::into(pk, pk_ind);
  // Without a primary key the values are hashed in value order instead.
  *key = (pk_ind == soci::i_ok && s.got_data()) ? pk : c.column;
  return true;
}

}  // namespace

Result<std::vector<ProtectedColumn>> LoadProtectedColumns(const std::vector<std::filesystem::path>& roots) {
  std::vector<ProtectedColumn> columns;
  std::set<std::string> seen;
  for (const std::filesystem::path& root : roots) {
    std::filesystem::path file = root / "protected.json";
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) continue;
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    TETHER_RETURN_IF_ERROR(CheckJsonDepth(text.str(), file.string()));
    rapidjson::Document doc;
    doc.Parse(text.str().c_str());
    if (doc.HasParseError()) {
      return Status::InvalidArgument(file.string() + ": " + rapidjson::GetParseError_En(doc.GetParseError()));
    }
    if (!doc.IsObject() || !doc.HasMember("protected") || !doc["protected"].IsArray()) {
      return Status::InvalidArgument(file.string() + ": expected {\"protected\": [\"table.column\", ...]}");
    }
    const rapidjson::Value& list = doc["protected"];
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      std::string entry = list[i].IsString() ? list[i].GetString() : "";
      size_t dot = entry.find('.');
      ProtectedColumn c;
      if (dot != std::string::npos) {
        c.table = entry.substr(0, dot);
        c.column = entry.substr(dot + 1);
      }
      if (!std::regex_match(c.table, kIdentifier) || !std::regex_match(c.column, kIdentifier)) {
        return Status::InvalidArgument(file.string() + ": /protected/" + std::to_string(i) +
                                       " must be \"table.column\" in lower case, got \"" + entry + "\"");
      }
      if (seen.insert(c.Name()).second) columns.push_back(c);
    }
  }
  return columns;
}

Result<ColumnFingerprint> Fingerprint(Database* db, const ProtectedColumn& column) {
  ColumnFingerprint f;
  f.table = column.table;
  f.column = column.column;
  try {
    std::string key;
    Result<bool> exists = TableColumnType(db, column, &f.declared_type, &key);
    if (!exists.ok()) return exists.status();
    f.exists = *exists;
    if (!f.exists) return f;
    const std::string col = "\"" + column.column + "\"";
    const std::string table = "\"" + column.table + "\"";
    const std::string key_sql = key == "rowid" ? "rowid" : "\"" + key + "\"";
    // The value as text, with SQLite's storage class, so that 1 and '1' or
    // a blob and its text differ.
    std::string value_sql = db->dialect() == Dialect::kSqlite
                                ? "typeof(" + col + ") || ':' || CASE WHEN typeof(" + col + ") = 'blob' THEN hex(" +
                                      col + ") ELSE CAST(" + col + " AS TEXT) END"
                                : "CAST(" + col + " AS TEXT)";
    std::string key_value, value;
    soci::indicator key_ind, value_ind;
    soci::statement st = (db->session().prepare << "SELECT CAST(" + key_sql + " AS TEXT), " + value_sql +
                                                       " FROM " + table + " ORDER BY " + key_sql,
                          soci::into(key_value, key_ind), soci::into(value, value_ind));
    st.execute(false);
    Sha256 hash;
    while (st.fetch()) {
      ++f.rows;
      std::string k = key_ind == soci::i_null ? std::string("\\N") : key_value;
      hash.Update(std::to_string(k.size()) + ":" + k);
      if (value_ind == soci::i_null) {
        hash.Update("N;");
        continue;
      }
      ++f.non_null;
      hash.Update("V" + std::to_string(value.size()) + ":");
      hash.Update(value);
    }
    f.values_sha256 = hash.FinishHex();
  } catch (...) {
    return StatusFromCurrentException("cannot fingerprint " + column.Name());
  }
  return f;
}

Result<std::vector<ColumnFingerprint>> FingerprintAll(Database* db, const std::vector<ProtectedColumn>& columns) {
  std::vector<ColumnFingerprint> all;
  for (const ProtectedColumn& c : columns) {
    Result<ColumnFingerprint> f = Fingerprint(db, c);
    if (!f.ok()) return f.status();
    all.push_back(std::move(f).value());
  }
  return all;
}

std::vector<FingerprintDifference> Compare(const ColumnFingerprint& before, const ColumnFingerprint& after) {
  using Kind = FingerprintDifference::Kind;
  std::vector<FingerprintDifference> out;
  const std::string name = after.Name();
  if (!before.exists) return out;  // created (or still absent): nothing to lose
  if (!after.exists) {
    out.push_back({Kind::kGone, name + ": the column is gone (it held " + std::to_string(before.non_null) + " values)"});
    return out;
  }
  if (before.declared_type != after.declared_type) {
    out.push_back({Kind::kType, name + ": declared type " + before.declared_type + " -> " + after.declared_type});
  }
  if (before.rows != after.rows) {
    out.push_back({Kind::kRows, name + ": rows " + std::to_string(before.rows) + " -> " + std::to_string(after.rows)});
  }
  if (before.non_null != after.non_null) {
    out.push_back({Kind::kNonNull, name + ": non-null values " + std::to_string(before.non_null) + " -> " +
                                       std::to_string(after.non_null)});
  }
  if (out.empty() && before.values_sha256 != after.values_sha256) {
    out.push_back({Kind::kValues, name + ": values changed (same counts, different content or order)"});
  }
  return out;
}

std::string FingerprintsToJson(const std::vector<ColumnFingerprint>& fingerprints) {
  CompactJsonWriter json;
  json.writer().StartArray();
  for (const ColumnFingerprint& f : fingerprints) {
    json.Begin().Str("column", f.Name()).Bool("exists", f.exists).Int("rows", f.rows).Int("non_null", f.non_null)
        .Str("type", f.declared_type).Str("sha256", f.values_sha256).End();
  }
  json.writer().EndArray();
  return json.Text();
}

Result<std::vector<ColumnFingerprint>> FingerprintsFromJson(const std::string& json) {
  if (!CheckJsonDepth(json, "stored evidence").ok()) return Status::DataLoss("stored evidence is nested too deep");
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  if (doc.HasParseError() || !doc.IsArray()) return Status::DataLoss("stored evidence is not a JSON array");
  std::vector<ColumnFingerprint> out;
  for (const rapidjson::Value& v : doc.GetArray()) {
    if (!v.IsObject() || !v.HasMember("column") || !v["column"].IsString()) {
      return Status::DataLoss("stored evidence has an entry without a column");
    }
    ColumnFingerprint f;
    std::string name = v["column"].GetString();
    size_t dot = name.find('.');
    f.table = name.substr(0, dot);
    f.column = dot == std::string::npos ? "" : name.substr(dot + 1);
    f.exists = v.HasMember("exists") && v["exists"].IsBool() && v["exists"].GetBool();
    f.rows = v.HasMember("rows") && v["rows"].IsInt64() ? v["rows"].GetInt64() : 0;
    f.non_null = v.HasMember("non_null") && v["non_null"].IsInt64() ? v["non_null"].GetInt64() : 0;
    f.declared_type = v.HasMember("type") && v["type"].IsString() ? v["type"].GetString() : "";
    f.values_sha256 = v.HasMember("sha256") && v["sha256"].IsString() ? v["sha256"].GetString() : "";
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace tether::migrate
