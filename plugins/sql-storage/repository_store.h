// RepositoryStore: the sql-storage plugin's repository outputs (storage.h,
// ABI 3.3) on the tables analysis_outputs, analysis_steps and
// analysis_step_files, which this plugin owns: per project and analyzer,
// the step's named outputs, the key it last completed under and the files
// it completed on.
//
// Every method runs on the session it is given, which the caller owns and
// uses from one thread at a time, and throws soci::soci_error (or
// std::exception) on a database error; the caller turns that into a Status.
// Commit runs its own transaction; DeleteProject runs in the caller's. The
// caller has bound the session to the project's tenant for reads.
#ifndef TETHER_PLUGINS_SQL_STORAGE_REPOSITORY_STORE_H_
#define TETHER_PLUGINS_SQL_STORAGE_REPOSITORY_STORE_H_

#include <optional>
#include <string>

#include <soci/soci.h>

#include "shared/sql_connect.h"
#include "tether/status.h"
#include "tether/storage.h"

namespace tether::sql_storage {

class RepositoryStore {
 public:
  explicit RepositoryStore(db::Dialect dialect) : dialect_(dialect) {}

  // InvalidArgument naming the first output outside RepositoryOutput's
  // limits, or a change that is not one.
  static Status Check(const RepositoryCommit& commit);

  RepositorySnapshot ReadSnapshot(soci::session& session, const ProjectRef& project,
                                  const std::string& analyzer_id) const;

  // `commit` must have passed Check.
  void Commit(soci::session& session, const ProjectRef& project, const RepositoryCommit& commit) const;

  RepositoryOutputPage List(soci::session& session, const ProjectRef& project,
                            const RepositoryOutputQuery& query) const;

  std::optional<StoredOutput> Get(soci::session& session, const ProjectRef& project, const std::string& analyzer_id,
                                  const std::string& name) const;

  // Inside the caller's transaction: everything kept for the project.
  void DeleteProject(soci::session& session, long long project_id) const;

 private:
  // Commit's rows on PostgreSQL, as arrays (inside its transaction).
  void CommitBatches(soci::session& session, const ProjectRef& project, const RepositoryCommit& commit) const;

  db::Dialect dialect_;
};

}  // namespace tether::sql_storage

#endif  // TETHER_PLUGINS_SQL_STORAGE_REPOSITORY_STORE_H_
