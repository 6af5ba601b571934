#include "vector_store.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>

#include <openssl/evp.h>

#include "pg_array.h"
#include "shared/clock.h"
#include "shared/row_values.h"
#include "sql_list.h"
#include "sql_transaction.h"
#include "tenant_binding.h"

namespace tether::sql_storage {
namespace {

// Hashes per statement: the list travels as one bound parameter.
constexpr size_t kBatch = 500;
constexpr size_t kMaxSpaceBytes = 128;

// The values as float32 little-endian bytes, in base64 (OpenSSL's).
std::string Encode(const std::vector<float>& values) {
  std::string bytes(values.size() * 4, '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], 4);
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

// The inverse of Encode; false for text Encode could not have written.
bool Decode(const std::string& text, int dimensions, std::vector<float>* values) {
  const size_t expected = static_cast<size_t>(dimensions) * 4;
  if (dimensions < 1 || text.size() != (expected + 2) / 3 * 4) return false;
  std::string bytes(text.size() / 4 * 3, '\0');
  // EVP_DecodeBlock counts the bytes the padding stands for too.
  if (EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size())) != static_cast<int>(bytes.size())) {
    return false;
  }
  values->resize(static_cast<size_t>(dimensions));
  for (size_t i = 0; i < values->size(); ++i) {
    uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) bits |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i * 4 + b])) << (8 * b);
    std::memcpy(&(*values)[i], &bits, 4);
  }
  return true;
}

bool IsHash(const std::string& hash) {
  if (hash.size() != 64) return false;
  for (char c : hash) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Shown(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

Status VectorStore::CheckSpace(const std::string& space) {
  if (space.empty() || space.size() > kMaxSpaceBytes) {
    return Status::InvalidArgument("sql-storage: a vector space is named by 1 to 128 bytes, got " +
                                   std::to_string(space.size()));
  }
  for (char c : space) {
    if (c <= 0x20 || c >= 0x7f) {
      return Status::InvalidArgument("sql-storage: vector space \"" + Shown(space) +
                                     "\" is not printable ASCII without spaces");
    }
  }
  return Status::Ok();
}

Status VectorStore::CheckHashes(const std::vector<std::string>& hashes) {
  for (const std::string& h : hashes) {
    if (!IsHash(h)) {
      return Status::InvalidArgument("sql-storage: \"" + Shown(h) +
                                     "\" is not a text hash (64 lower-case hex digits of SHA-256)");
    }
  }
  return Status::Ok();
}

Status VectorStore::CheckVectors(const std::vector<StoredVector>& vectors) {
  for (const StoredVector& v : vectors) {
    if (!IsHash(v.hash)) {
      return Status::InvalidArgument("sql-storage: \"" + Shown(v.hash) +
                                     "\" is not a text hash (64 lower-case hex digits of SHA-256)");
    }
    if (v.values.empty() || v.values.size() > 65536) {
      return Status::InvalidArgument("sql-storage: the vector of " + v.hash + " has " +
                                     std::to_string(v.values.size()) + " values (1 to 65,536)");
    }
    for (float f : v.values) {
      if (!std::isfinite(f)) {
        return Status::InvalidArgument("sql-storage: the vector of " + v.hash + " holds a value that is not finite");
      }
    }
    if (v.values.size() != vectors.front().values.size()) {
      return Status::InvalidArgument("sql-storage: the vectors of one call have " +
                                     std::to_string(vectors.front().values.size()) + " and " +
                                     std::to_string(v.values.size()) + " dimensions");
    }
  }
  return Status::Ok();
}

std::vector<std::string> VectorStore::Missing(soci::session& session, const std::string& tenant,
                                              const std::string& space,
                                              const std::vector<std::string>& hashes) const {
  std::set<std::string> found;
  for (size_t start = 0; start < hashes.size(); start += kBatch) {
    SqlList list(dialect_);
    for (size_t i = start; i < hashes.size() && i < start + kBatch; ++i) list.Add(hashes[i]);
    std::string bound = list.Take();
    soci::rowset<std::string> rows =
        (session.prepare << "SELECT text_sha FROM analysis_vectors WHERE tenant_id = :t AND space = :s AND " +
                                SqlList::In(dialect_, "text_sha", "h", "text"),
         soci::use(tenant), soci::use(space), soci::use(bound));
    for (const std::string& h : rows) found.insert(h);
  }
  std::vector<std::string> missing;
  for (const std::string& h : hashes) {
    if (!found.count(h)) missing.push_back(h);
  }
  return missing;
}

Status VectorStore::Put(soci::session& session, const std::string& tenant, const std::string& space,
                        const std::vector<StoredVector>& vectors) const {
  if (vectors.empty()) return Status::Ok();
  session << (dialect_ == db::Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
  Transaction transaction(session);
  BindTenant(session, dialect_, tenant, /*local=*/true);
  int stored_dimensions = 0;
  soci::indicator ind = soci::i_null;
  session << "SELECT dimensions FROM analysis_vectors WHERE tenant_id = :t AND space = :s LIMIT 1", soci::use(tenant),
      soci::use(space), soci::into(stored_dimensions, ind);
  const int dimensions = static_cast<int>(vectors.front().values.size());
  if (ind == soci::i_ok && stored_dimensions != dimensions) {
    return Status::InvalidArgument("sql-storage: space \"" + space + "\" holds vectors of " +
                                   std::to_string(stored_dimensions) + " dimensions, not " +
                                   std::to_string(dimensions));
  }
  std::string now = NowIso8601(), hash, encoded;
  int dims = dimensions;
  if (dialect_ == db::Dialect::kPostgres) {
    // One statement whose rows travel as arrays, not a round trip per row.
    ArrayLiteral hashes, values;
    for (const StoredVector& v : vectors) {
      hashes.Text(v.hash);
      values.Text(Encode(v.values));
    }
    std::string hash_array = hashes.Take(), value_array = values.Take();
    session << "INSERT INTO analysis_vectors (tenant_id, space, text_sha, dimensions, vector, created_at)"
               " SELECT :t, :s, u.h, :d, u.v, :n FROM unnest(CAST(:hs AS text[]), CAST(:vs AS text[])) AS u(h, v)"
               " ON CONFLICT (tenant_id, space, text_sha) DO NOTHING",
        soci::use(tenant), soci::use(space), soci::use(dims), soci::use(now), soci::use(hash_array),
        soci::use(value_array);
    transaction.Commit();
    return Status::Ok();
  }
  soci::statement insert =
      (session.prepare << "INSERT INTO analysis_vectors (tenant_id, space, text_sha, dimensions, vector, created_at)"
                          " VALUES (:t, :s, :h, :d, :v, :n) ON CONFLICT (tenant_id, space, text_sha) DO NOTHING",
       soci::use(tenant), soci::use(space), soci::use(hash), soci::use(dims), soci::use(encoded), soci::use(now));
  for (const StoredVector& v : vectors) {
    hash = v.hash;
    encoded = Encode(v.values);
    insert.execute(true);
  }
  transaction.Commit();
  return Status::Ok();
}

std::vector<StoredVector> VectorStore::Get(soci::session& session, const std::string& tenant, const std::string& space,
                                           const std::vector<std::string>& hashes) const {
  std::map<std::string, std::vector<float>> found;
  for (size_t start = 0; start < hashes.size(); start += kBatch) {
    SqlList list(dialect_);
    for (size_t i = start; i < hashes.size() && i < start + kBatch; ++i) list.Add(hashes[i]);
    std::string bound = list.Take();
    soci::rowset<soci::row> rows =
        (session.prepare << "SELECT text_sha, dimensions, vector FROM analysis_vectors WHERE tenant_id = :t"
                            " AND space = :s AND " +
                                SqlList::In(dialect_, "text_sha", "h", "text"),
         soci::use(tenant), soci::use(space), soci::use(bound));
    for (const soci::row& row : rows) {
      std::vector<float> values;
      const std::string h = row.get<std::string>(0);
      if (!Decode(row.get<std::string>(2), static_cast<int>(db::RowInt(row, 1)), &values)) {
        throw soci::soci_error("the stored vector of " + h + " in space " + space + " is damaged");
      }
      found.emplace(h, std::move(values));
    }
  }
  std::vector<StoredVector> out;
  for (const std::string& h : hashes) {
    auto it = found.find(h);
    if (it != found.end()) out.push_back({h, it->second});
  }
  return out;
}

}  // namespace tether::sql_storage
