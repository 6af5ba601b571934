// AnalysisStore: the sql-storage plugin's analysis results (storage.h, ABI
// 3.2) on the tables analysis_results and analysis_symbols, which this
// plugin owns. A result is one row per (tenant, blob, language, analyzer
// key); its symbols hang off it.
//
// Every method runs on the session it is given, which the caller owns and
// uses from one thread at a time, and throws soci::soci_error (or
// std::exception) on a database error; the caller turns that into a Status.
// Writing methods run their own transaction on that session. The caller
// has bound the session to the project's tenant where the database keeps
// tenants apart (BindTenant).
#ifndef TETHER_PLUGINS_SQL_STORAGE_ANALYSIS_STORE_H_
#define TETHER_PLUGINS_SQL_STORAGE_ANALYSIS_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <soci/soci.h>

#include "shared/sql_connect.h"
#include "tether/storage.h"

namespace tether::sql_storage {

class AnalysisStore {
 public:
  explicit AnalysisStore(db::Dialect dialect) : dialect_(dialect) {}

  AnalysisWorkPage ListWork(soci::session& session, const ProjectRef& project, const AnalyzerKey& key,
                            const AnalysisWorkQuery& query) const;

  void MarkStarted(soci::session& session, const std::string& tenant, const AnalyzerKey& key,
                   const std::vector<AnalysisWork>& work, const std::string& owner) const;

  void Put(soci::session& session, const std::string& tenant, const AnalyzerKey& key,
           const std::vector<AnalysisResult>& results) const;

  // The result of the project's document at `path`; nullopt when there is
  // no such document or no final result.
  std::optional<AnalysisResult> Get(soci::session& session, const ProjectRef& project, const AnalyzerKey& key,
                                    const std::string& path) const;

  // The final results under `key` of each file's (blob, language), in the
  // order of `files` (Storage::GetAnalysisResults).
  std::vector<AnalysisResult> GetMany(soci::session& session, const std::string& tenant, const AnalyzerKey& key,
                                      const std::vector<RepositoryFile>& files) const;

  AnalysisCounts Count(soci::session& session, const ProjectRef& project, const AnalyzerKey& key) const;

  SymbolPage Search(soci::session& session, const ProjectRef& project, const SymbolQuery& query) const;

  int64_t Collect(soci::session& session, const std::string& tenant, const std::vector<AnalyzerKey>& active,
                  int64_t grace_seconds) const;

 private:
  // Put on PostgreSQL: the results, their ids, the removal of their old
  // symbols and their new ones in a handful of statements whose rows travel
  // as arrays, instead of a round trip per row. `results` names each
  // (blob, language) once.
  void PutBatch(soci::session& session, const std::string& tenant, const AnalyzerKey& key,
                const std::vector<AnalysisResult>& results) const;

  // BEGIN (IMMEDIATE on SQLite) with the tenant bound for the transaction.
  void Begin(soci::session& session, const std::string& tenant) const;

  db::Dialect dialect_;
};

}  // namespace tether::sql_storage

#endif  // TETHER_PLUGINS_SQL_STORAGE_ANALYSIS_STORE_H_
