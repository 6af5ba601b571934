// VectorStore: the sql-storage plugin's vectors (storage.h, "Vectors", ABI
// 3.5) on the table analysis_vectors, which this plugin owns: one row per
// (tenant, space, text hash), the values as base64 of float32 little-endian.
//
// Every method runs on the session it is given, which the caller owns and
// uses from one thread at a time, and throws soci::soci_error (or
// std::exception) on a database error; the caller turns that into a
// Status. Put runs its own transaction and binds the tenant in it; the
// reads expect the caller to have bound the session to the tenant.
#ifndef TETHER_PLUGINS_SQL_STORAGE_VECTOR_STORE_H_
#define TETHER_PLUGINS_SQL_STORAGE_VECTOR_STORE_H_

#include <string>
#include <vector>

#include <soci/soci.h>

#include "shared/sql_connect.h"
#include "tether/status.h"
#include "tether/storage.h"

namespace tether::sql_storage {

class VectorStore {
 public:
  explicit VectorStore(db::Dialect dialect) : dialect_(dialect) {}

  // InvalidArgument naming what is wrong with a space, a hash or a vector
  // (storage.h), before anything touches the database.
  static Status CheckSpace(const std::string& space);
  static Status CheckHashes(const std::vector<std::string>& hashes);
  static Status CheckVectors(const std::vector<StoredVector>& vectors);

  std::vector<std::string> Missing(soci::session& session, const std::string& tenant, const std::string& space,
                                   const std::vector<std::string>& hashes) const;

  // InvalidArgument (nothing written) when a vector's dimensions differ from
  // those already stored in the space.
  Status Put(soci::session& session, const std::string& tenant, const std::string& space,
             const std::vector<StoredVector>& vectors) const;

  std::vector<StoredVector> Get(soci::session& session, const std::string& tenant, const std::string& space,
                                const std::vector<std::string>& hashes) const;

 private:
  db::Dialect dialect_;
};

}  // namespace tether::sql_storage

#endif  // TETHER_PLUGINS_SQL_STORAGE_VECTOR_STORE_H_
