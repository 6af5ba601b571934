// Reading values out of a soci::row whatever type the backend reports for
// them: SQLite and PostgreSQL describe the same column differently
// (INTEGER as int or long long, BIGINT, NUMERIC, text for COUNT(*), ...).
// NULL becomes the given default. Throws what soci::row throws for a value
// that is not a number at all.
#ifndef TETHER_SHARED_ROW_VALUES_H_
#define TETHER_SHARED_ROW_VALUES_H_

#include <cstdint>
#include <string>

#include <soci/soci.h>

namespace tether::db {

inline std::string RowText(const soci::row& row, size_t i) {
  return row.get_indicator(i) == soci::i_null ? std::string() : row.get<std::string>(i);
}

inline double RowDouble(const soci::row& row, size_t i, double if_null = 0) {
  if (row.get_indicator(i) == soci::i_null) return if_null;
  switch (row.get_properties(i).get_data_type()) {
    case soci::dt_integer: return row.get<int>(i);
    case soci::dt_long_long: return static_cast<double>(row.get<long long>(i));
    case soci::dt_unsigned_long_long: return static_cast<double>(row.get<unsigned long long>(i));
    case soci::dt_double: return row.get<double>(i);
    default: return std::stod(row.get<std::string>(i));
  }
}

inline int64_t RowInt(const soci::row& row, size_t i, int64_t if_null = 0) {
  if (row.get_indicator(i) == soci::i_null) return if_null;
  switch (row.get_properties(i).get_data_type()) {
    case soci::dt_integer: return row.get<int>(i);
    case soci::dt_long_long: return row.get<long long>(i);
    case soci::dt_unsigned_long_long: return static_cast<int64_t>(row.get<unsigned long long>(i));
    case soci::dt_double: return static_cast<int64_t>(row.get<double>(i));
    default: return std::stoll(row.get<std::string>(i));
  }
}

}  // namespace tether::db

#endif  // TETHER_SHARED_ROW_VALUES_H_
