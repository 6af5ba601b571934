#include "engine/db/project_store.h"

#include <soci/soci.h>

#include <algorithm>
#include <map>

#include "shared/clock.h"
#include "shared/row_values.h"

namespace tether::db {
namespace {

const char kSelectProjects[] =
    "SELECT p.id, p.name, p.tenant_id, p.created_at, s.provider, s.storage, s.repo_url, s.branch,"
    " s.sync_enabled, s.status, s.last_error, s.last_synced_at, s.resync_requested, s.schedule, s.next_sync_at,"
    " s.head_changed_at, CASE WHEN s.sync_requested_at IS NULL THEN 0 ELSE 1 END,"
    " CASE WHEN s.lease_owner IS NULL THEN NULL ELSE s.lease_worker END"
    " FROM projects p JOIN project_syncs s ON s.project_id = p.id";

Project FromRow(const soci::row& row) {
  Project p;
  p.id = RowInt(row, 0);
  p.name = row.get<std::string>(1);
  p.tenant_id = row.get<std::string>(2);
  p.created_at = row.get<std::string>(3);
  p.provider = row.get<std::string>(4);
  p.storage = row.get<std::string>(5);
  p.repo_url = row.get<std::string>(6);
  p.branch = row.get<std::string>(7);
  p.sync_enabled = RowInt(row, 8) != 0;
  p.status = row.get<std::string>(9);
  p.last_error = RowText(row, 10);
  p.last_synced_at = RowText(row, 11);
  p.resync_requested = RowInt(row, 12) != 0;
  p.schedule = RowText(row, 13);
  if (row.get_indicator(14) != soci::i_null) p.next_sync_at = RowInt(row, 14);
  if (row.get_indicator(15) != soci::i_null) p.head_changed_at = RowInt(row, 15);
  p.sync_requested = RowInt(row, 16) != 0;
  p.lease_worker = RowText(row, 17);
  return p;
}

}  // namespace

Status ValidateProjectName(const std::string& name) {
  if (name.empty() || name.size() > 100) {
    return Status::InvalidArgument("project name must be 1 to 100 characters long");
  }
  if (name[0] == '.' || name[0] == '-') {
    return Status::InvalidArgument("project name \"" + name + "\" must not start with '.' or '-'");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("project name \"" + name +
                                     "\" may hold only letters, digits, '.', '_' and '-'");
    }
  }
  return Status::Ok();
}

Result<std::string> ConnectionTenant(Database* db) {
  if (db->dialect() != Dialect::kPostgres) return std::string("default");
  std::string tenant;
  try {
    db->session() << "SELECT COALESCE(NULLIF(current_setting('tether.tenant', true), ''), 'default')",
        soci::into(tenant);
  } catch (...) {
    return StatusFromCurrentException("cannot read the connection's tenant");
  }
  return tenant;
}

namespace {

// The projects `where` selects (its placeholders bound by `uses`), by name.
template <typename... Uses>
Result<std::vector<Project>> QueryProjects(Database* db, const std::string& where, Uses&&... uses) {
  std::vector<Project> projects;
  try {
    const std::string sql = std::string(kSelectProjects) + where + " ORDER BY p.name, p.tenant_id";
    soci::rowset<soci::row> rows = ((db->session().prepare << sql), ..., std::forward<Uses>(uses));
    for (const soci::row& row : rows) projects.push_back(FromRow(row));
  } catch (...) {
    return StatusFromCurrentException("cannot read projects");
  }
  return projects;
}

}  // namespace

Result<Project> ProjectStore::Add(const NewProject& project) {
  TETHER_RETURN_IF_ERROR(ValidateProjectName(project.name));
  std::string tenant = project.tenant_id;
  if (tenant.empty()) {
    Result<std::string> current = ConnectionTenant(db_);
    if (!current.ok()) return current.status();
    tenant = *current;
  }
  Result<Project> existing = Get(tenant, project.name);
  if (existing.ok()) return Status::Conflict("a project called \"" + project.name + "\" already exists");
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  Status status = db_->InTransaction([&]() -> Status {
    std::string now = NowIso8601();
    long long id = 0;
    db_->session() << "INSERT INTO projects (name, tenant_id, created_at) VALUES (:n, :t, :c) RETURNING id",
        soci::use(project.name), soci::use(tenant), soci::use(now), soci::into(id);
    db_->session() << "INSERT INTO project_syncs (project_id, tenant_id, provider, storage, repo_url, branch,"
                      " sync_enabled, status, updated_at)"
                      " VALUES (:id, :t, :p, :s, :u, :b, 1, 'never_synced', :now)",
        soci::use(id), soci::use(tenant), soci::use(project.provider), soci::use(project.storage),
        soci::use(project.repo_url), soci::use(project.branch), soci::use(now);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return Get(tenant, project.name);
}

Result<Project> ProjectStore::Get(const std::string& tenant_id, const std::string& name) {
  Result<std::vector<Project>> found =
      QueryProjects(db_, " WHERE p.tenant_id = :tenant AND p.name = :name", soci::use(tenant_id), soci::use(name));
  if (!found.ok()) return found.status();
  if (found->empty()) return Status::NotFound("no project called \"" + name + "\"");
  return found->front();
}

Result<Project> ProjectStore::GetById(int64_t id) {
  long long value = id;
  Result<std::vector<Project>> found = QueryProjects(db_, " WHERE p.id = :id", soci::use(value));
  if (!found.ok()) return found.status();
  if (found->empty()) return Status::NotFound("no project with id " + std::to_string(id));
  return found->front();
}

Result<std::vector<Project>> ProjectStore::List() { return QueryProjects(db_, ""); }

Status ProjectStore::Remove(int64_t project_id) {
  long long id = project_id;
  // Children first, so that it works without foreign-key cascades too.
  return db_->InTransaction([&]() -> Status {
    for (const char* table : {"events", "sync_runs", "project_syncs"}) {
      db_->session() << std::string("DELETE FROM ") + table + " WHERE project_id = :id", soci::use(id);
    }
    db_->session() << "DELETE FROM projects WHERE id = :id", soci::use(id);
    return Status::Ok();
  });
}

Status ProjectStore::Update(int64_t project_id, const std::string& set_clause, const std::string& value) {
  long long id = project_id;
  std::string now = NowIso8601();
  try {
    db_->session() << "UPDATE project_syncs SET " + set_clause + ", updated_at = :now WHERE project_id = :id",
        soci::use(value), soci::use(now), soci::use(id);
  } catch (...) {
    return StatusFromCurrentException("cannot update project " + std::to_string(project_id));
  }
  return Status::Ok();
}

Status ProjectStore::SetBranch(int64_t project_id, const std::string& branch) {
  return Update(project_id, "branch = :v", branch);
}

Status ProjectStore::SetEnabled(int64_t project_id, bool enabled) {
  return Update(project_id, "sync_enabled = CAST(:v AS INTEGER)", enabled ? "1" : "0");
}

Status ProjectStore::SetSchedule(int64_t project_id, const std::optional<std::string>& schedule,
                                 std::optional<int64_t> next_sync_at) {
  long long id = project_id, next = next_sync_at.value_or(0);
  std::string text = schedule.value_or(""), now = NowIso8601();
  soci::indicator text_ind = schedule ? soci::i_ok : soci::i_null;
  soci::indicator next_ind = next_sync_at ? soci::i_ok : soci::i_null;
  try {
    db_->session() << "UPDATE project_syncs SET schedule = :s, next_sync_at = :n, updated_at = :now"
                      " WHERE project_id = :id",
        soci::use(text, text_ind), soci::use(next, next_ind), soci::use(now), soci::use(id);
  } catch (...) {
    return StatusFromCurrentException("cannot set the schedule of project " + std::to_string(project_id));
  }
  return Status::Ok();
}

Status ProjectStore::SetNextSync(int64_t project_id, std::optional<int64_t> next_sync_at,
                                 std::optional<int64_t> head_changed_at) {
  long long id = project_id, next = next_sync_at.value_or(0), changed = head_changed_at.value_or(0);
  soci::indicator next_ind = next_sync_at ? soci::i_ok : soci::i_null;
  try {
    if (head_changed_at) {
      db_->session() << "UPDATE project_syncs SET next_sync_at = :n, head_changed_at = :c WHERE project_id = :id",
          soci::use(next, next_ind), soci::use(changed), soci::use(id);
    } else {
      db_->session() << "UPDATE project_syncs SET next_sync_at = :n WHERE project_id = :id",
          soci::use(next, next_ind), soci::use(id);
    }
  } catch (...) {
    return StatusFromCurrentException("cannot schedule project " + std::to_string(project_id));
  }
  return Status::Ok();
}

namespace {

// CountDue's filter: scheduled projects due and not held; binds :d, :now, :now2.
constexpr char kDueFilter[] =
    " FROM project_syncs s JOIN projects p ON p.id = s.project_id"
    " WHERE s.sync_enabled = 1 AND s.repo_url <> ''"
    " AND (s.schedule IS NULL AND :d = 1 OR s.schedule IS NOT NULL AND s.schedule <> 'off')"
    " AND (s.next_sync_at IS NULL OR s.next_sync_at <= :now)"
    " AND (s.lease_owner IS NULL OR s.lease_expires_at < :now2)";

// What waits for a worker: enabled, not held by a live lease, not waiting
// for a rate limit's retry time, and asked for (a request, or a follow-up
// left by a run whose process died), left running by a run whose lease
// expired (its worker died or froze: the run never ended), or due by its
// schedule. Binds, in order: now, now, default_scheduled, now.
constexpr char kWaitingFilter[] =
    " WHERE s.sync_enabled = 1 AND s.repo_url <> ''"
    " AND (s.lease_owner IS NULL OR s.lease_expires_at < :now)"
    " AND (s.status <> 'rate_limited' OR s.next_sync_at IS NULL OR s.next_sync_at <= :now2)"
    " AND (s.sync_requested_at IS NOT NULL OR s.resync_requested <> 0 OR s.status = 'running'"
    " OR (s.schedule IS NULL AND :d = 1 OR s.schedule IS NOT NULL AND s.schedule <> 'off')"
    " AND (s.next_sync_at IS NULL OR s.next_sync_at <= :now3))";

// Live leases per provider plugin, and in all.
Result<std::vector<std::pair<std::string, int64_t>>> RunningByProvider(soci::session& session, long long now) {
  std::vector<std::pair<std::string, int64_t>> running;
  try {
    soci::rowset<soci::row> rows =
        (session.prepare << "SELECT provider, COUNT(*) FROM project_syncs WHERE lease_owner IS NOT NULL"
                            " AND lease_expires_at >= :now GROUP BY provider",
         soci::use(now));
    for (const soci::row& row : rows) running.emplace_back(RowText(row, 0), RowInt(row, 1));
  } catch (...) {
    return StatusFromCurrentException("cannot count the running syncs");
  }
  return running;
}

}  // namespace

Status ProjectStore::RequestSync(int64_t project_id, const std::string& trigger) {
  long long id = project_id;
  long long at = NowUnixMillis();
  std::string by = trigger;
  return db_->InTransaction([&]() -> Status {
    try {
      db_->session() << "UPDATE project_syncs SET sync_requested_at = :at, sync_requested_trigger = :t"
                        " WHERE project_id = :id AND sync_requested_at IS NULL",
          soci::use(at), soci::use(by), soci::use(id);
      if (db_->dialect() == Dialect::kPostgres) {
        db_->session() << std::string("SELECT pg_notify('") + kSyncChannel + "', '')";
      }
    } catch (...) {
      return StatusFromCurrentException("cannot ask for a sync of the project");
    }
    return Status::Ok();
  });
}

namespace {

// A project's columns as FromRow reads them, from projects p and project_syncs s.
constexpr char kProjectColumns[] =
    "p.id, p.name, p.tenant_id, p.created_at, s.provider, s.storage, s.repo_url, s.branch,"
    " s.sync_enabled, s.status, s.last_error, s.last_synced_at, s.resync_requested, s.schedule, s.next_sync_at,"
    " s.head_changed_at, CASE WHEN s.sync_requested_at IS NULL THEN 0 ELSE 1 END,"
    " CASE WHEN s.lease_owner IS NULL THEN NULL ELSE s.lease_worker END";

// The conditions every waiting project meets whatever made it wait: enabled,
// with a repository, no live lease (a lease left expired is taken over), and
// no provider at its limit. `now` as a literal, the providers as :full0...
// Each use of it names its placeholders apart (`tag`): SOCI binds one value
// per placeholder in the order they appear.
std::string WaitingBase(const std::string& now, size_t full_providers, char tag) {
  std::string sql = " AND s.sync_enabled = 1 AND s.repo_url <> '' AND (s.lease_owner IS NULL OR s.lease_expires_at < " +
                    now + ")";
  for (size_t i = 0; i < full_providers; ++i) sql += std::string(" AND s.provider <> :full") + tag + std::to_string(i);
  return sql;
}

// PostgreSQL: each tenant's first waiting projects, found from the indexes
// of migration 0015 (one skip scan lists the tenants; per tenant, a few
// rows of each index, in order), never every waiting project. Columns: id,
// requested, requested_at, due_at, turn (the tenant's live leases plus the
// project's place among its tenant's candidates: what the tenant's count
// would be once the projects before it were claimed, so that a batch takes
// tenants in turn as one claim after another would).
std::string PostgresCandidates(const std::string& now, bool default_scheduled, int per_tenant, size_t full) {
  char tag = 'a';
  auto base = [&] { return WaitingBase(now, full, tag++); };
  const std::string limit = " LIMIT " + std::to_string(per_tenant) + ")";
  // Not asked for: a schedule made it wait (whatever its status says).
  const std::string unasked = " AND s.sync_requested_at IS NULL AND s.resync_requested = 0 AND s.status <> 'running'";
  std::string scheduled = "s.schedule IS NOT NULL AND s.schedule <> 'off'";
  std::string due;
  for (const std::string& kind : {scheduled, std::string("s.schedule IS NULL")}) {
    if (kind != scheduled && !default_scheduled) break;
    // Never synced (due at once), then by due time.
    due += " UNION ALL (SELECT s.project_id, 0, 0, 0 FROM project_syncs s WHERE s.tenant_id = t.tenant_id"
           " AND s.next_sync_at IS NULL AND " + kind + unasked + base() + " ORDER BY s.project_id" + limit;
    due += " UNION ALL (SELECT s.project_id, 0, 0, s.next_sync_at FROM project_syncs s WHERE s.tenant_id = t.tenant_id"
           " AND s.next_sync_at <= " + now + " AND " + kind + unasked + base() +
           " ORDER BY s.next_sync_at, s.project_id" + limit;
  }
  const std::string not_rate_limited =
      " AND (s.status <> 'rate_limited' OR s.next_sync_at IS NULL OR s.next_sync_at <= " + now + ")";
  return "tenants AS ((SELECT tenant_id FROM project_syncs ORDER BY tenant_id LIMIT 1) UNION ALL"
         " SELECT (SELECT s.tenant_id FROM project_syncs s WHERE s.tenant_id > t.tenant_id ORDER BY s.tenant_id"
         " LIMIT 1) FROM tenants t WHERE t.tenant_id IS NOT NULL),"
         " busy AS (SELECT tenant_id, COUNT(*) AS n FROM project_syncs WHERE lease_owner IS NOT NULL"
         " AND lease_expires_at >= " + now + " GROUP BY tenant_id),"
         " cand AS (SELECT c.id, c.requested, c.requested_at, c.due_at, COALESCE(b.n, 0) + ROW_NUMBER() OVER"
         " (PARTITION BY t.tenant_id ORDER BY c.requested DESC, c.requested_at, c.due_at, c.id) AS turn"
         " FROM tenants t LEFT JOIN busy b ON b.tenant_id = t.tenant_id CROSS JOIN LATERAL ("
         // Asked for, oldest first.
         "(SELECT s.project_id AS id, 1 AS requested, s.sync_requested_at AS requested_at,"
         " COALESCE(s.next_sync_at, 0) AS due_at FROM project_syncs s WHERE s.tenant_id = t.tenant_id"
         " AND s.sync_requested_at IS NOT NULL" + base() + not_rate_limited +
         " ORDER BY s.sync_requested_at, s.project_id" + limit +
         // A follow-up left by a run whose process died, or a run left running.
         " UNION ALL (SELECT s.project_id, 1, 0, COALESCE(s.next_sync_at, 0) FROM project_syncs s"
         " WHERE s.tenant_id = t.tenant_id AND (s.resync_requested <> 0 OR s.status = 'running')"
         " AND s.sync_requested_at IS NULL" + base() + not_rate_limited +
         " ORDER BY COALESCE(s.next_sync_at, 0), s.project_id" + limit + due +
         ") c WHERE t.tenant_id IS NOT NULL)";
}

// Whether a project waits, on top of WaitingBase: not waiting for a rate
// limit's retry time, and asked for (or left running by a dead process) or
// due by its schedule.
std::string WaitingNow(const std::string& now, bool default_scheduled) {
  return " AND (s.status <> 'rate_limited' OR s.next_sync_at IS NULL OR s.next_sync_at <= " + now + ")"
         " AND (s.sync_requested_at IS NOT NULL OR s.resync_requested <> 0 OR s.status = 'running'"
         " OR (s.schedule IS NULL AND " + std::string(default_scheduled ? "1" : "0") + " = 1"
         " OR s.schedule IS NOT NULL AND s.schedule <> 'off')"
         " AND (s.next_sync_at IS NULL OR s.next_sync_at <= " + now + "))";
}

// SQLite (one writer, one host): every waiting project, ordered. The same
// columns as PostgresCandidates.
std::string SqliteCandidates(const std::string& now, bool default_scheduled, size_t full) {
  return "busy AS (SELECT tenant_id, COUNT(*) AS n FROM project_syncs WHERE lease_owner IS NOT NULL"
         " AND lease_expires_at >= " + now + " GROUP BY tenant_id),"
         " waiting AS (SELECT s.project_id AS id, s.tenant_id AS tenant_id,"
         " CASE WHEN s.sync_requested_at IS NOT NULL OR s.resync_requested <> 0 OR s.status = 'running' THEN 1"
         " ELSE 0 END AS requested, COALESCE(s.sync_requested_at, 0) AS requested_at,"
         " COALESCE(s.next_sync_at, 0) AS due_at FROM project_syncs s WHERE 1 = 1" + WaitingBase(now, full, 'a') +
         WaitingNow(now, default_scheduled) + "),"
         " cand AS (SELECT w.id, w.requested, w.requested_at, w.due_at, COALESCE(b.n, 0) + ROW_NUMBER() OVER"
         " (PARTITION BY w.tenant_id ORDER BY w.requested DESC, w.requested_at, w.due_at, w.id) AS turn"
         " FROM waiting w LEFT JOIN busy b ON b.tenant_id = w.tenant_id)";
}

}  // namespace

Result<std::vector<NextWork>> ProjectStore::LockWork(const WorkFilter& filter, int limit) {
  std::vector<NextWork> picked;
  const bool postgres = db_->dialect() == Dialect::kPostgres;
  const bool limited = filter.max_running > 0 || !filter.provider_limits.empty();
  std::vector<std::string> full;  // providers at their limit
  std::map<std::string, int64_t> room;  // what the limited providers may still start
  if (limited) {
    // Counting and claiming must not interleave between workers: limits are
    // checked under one lock (PostgreSQL: a transaction-scoped advisory
    // lock; SQLite: the write lock the transaction holds).
    if (postgres) TETHER_RETURN_IF_ERROR(db_->Execute("SELECT pg_advisory_xact_lock(7235631)", "cannot lock the limits"));
    Result<std::vector<std::pair<std::string, int64_t>>> running = RunningByProvider(db_->session(), filter.now);
    if (!running.ok()) return running.status();
    int64_t total = 0;
    for (const auto& [provider, count] : *running) total += count;
    if (filter.max_running > 0) limit = static_cast<int>(std::min<int64_t>(limit, filter.max_running - total));
    for (const auto& [provider, most] : filter.provider_limits) {
      int64_t count = 0;
      for (const auto& [name, n] : *running) {
        if (name == provider) count = n;
      }
      if (count >= most) full.push_back(provider);
      room[provider] = most - count;
    }
  }
  if (limit <= 0) return picked;
  const std::string now = std::to_string(filter.now);
  const std::string order = " ORDER BY c.requested DESC, c.turn, c.requested_at, c.due_at, c.id";
  const std::string columns =
      std::string(" SELECT ") + kProjectColumns + ", s.lease_epoch, s.lease_owner,"
      " CASE WHEN s.sync_requested_at IS NOT NULL OR s.resync_requested <> 0 OR s.status = 'running' THEN 1"
      " ELSE 0 END,"
      " COALESCE(s.sync_requested_trigger, CASE WHEN s.resync_requested <> 0 THEN 'webhook' END,"
      " (SELECT r.trigger FROM sync_runs r WHERE r.project_id = s.project_id AND r.outcome = 'running'"
      " ORDER BY r.id DESC LIMIT 1), ''),"
      " CASE WHEN EXISTS (SELECT 1 FROM sync_runs r WHERE r.project_id = s.project_id AND r.outcome = 'running')"
      " THEN 1 ELSE 0 END";
  std::string sql;
  try {
    if (postgres) {
      // Two statements: the candidates in order, read without a lock; then
      // the first of them still waiting (a worker may have run one since),
      // locked. The lock reads each row
      // as it is when the statement starts, so a project another worker
      // claimed since the first read is passed by without being locked (a
      // row locked and found changed would stay locked until this
      // transaction ends, holding up the end of the run that claimed it).
      std::vector<std::string> ids;
      sql = "WITH RECURSIVE " + PostgresCandidates(now, filter.default_scheduled, limit + 16, full.size()) +
            " SELECT c.id FROM cand c" + order + " LIMIT " + std::to_string(limit + 16);
      soci::row candidate;
      soci::statement st = (db_->session().prepare << sql);
      // Bound once per place they appear: in every branch.
      const size_t uses = 4 + (filter.default_scheduled ? 2 : 0);
      for (size_t i = 0; i < uses; ++i) {
        for (std::string& provider : full) st.exchange(soci::use(provider));
      }
      st.exchange(soci::into(candidate));
      st.define_and_bind();
      st.execute(false);
      while (st.fetch()) ids.push_back(std::to_string(RowInt(candidate, 0)));
      if (ids.empty()) return picked;
      std::string list;
      for (const std::string& id : ids) list += (list.empty() ? "" : ",") + id;
      sql = columns + " FROM unnest(ARRAY[" + list + "]::BIGINT[]) WITH ORDINALITY AS c(id, place)"
            " JOIN project_syncs s ON s.project_id = c.id JOIN projects p ON p.id = s.project_id"
            " WHERE 1 = 1" + WaitingBase(now, 0, 'z') + WaitingNow(now, filter.default_scheduled) +
            " ORDER BY c.place LIMIT " + std::to_string(limit) + " FOR UPDATE OF s SKIP LOCKED";
    } else {
      sql = "WITH " + SqliteCandidates(now, filter.default_scheduled, full.size()) + columns +
            " FROM cand c JOIN project_syncs s ON s.project_id = c.id JOIN projects p ON p.id = s.project_id" + order +
            " LIMIT " + std::to_string(limit);
    }
    soci::row row;
    soci::statement st = (db_->session().prepare << sql);
    if (!postgres) {
      for (std::string& provider : full) st.exchange(soci::use(provider));
    }
    st.exchange(soci::into(row));
    st.define_and_bind();
    st.execute(false);
    while (st.fetch()) {
      NextWork work;
      work.project = FromRow(row);
      work.lease_epoch = RowInt(row, 18);
      work.lease_owner = RowText(row, 19);
      work.requested = RowInt(row, 20) != 0;
      work.trigger = RowText(row, 21);
      work.unfinished_runs = RowInt(row, 22) != 0;
      // A batch stays within what each limited provider may still start.
      auto left = room.find(work.project.provider);
      if (left != room.end()) {
        if (left->second <= 0) continue;
        --left->second;
      }
      picked.push_back(std::move(work));
    }
  } catch (...) {
    return StatusFromCurrentException("cannot look for a project to sync");
  }
  return picked;
}

Result<LeaseGrant> ProjectStore::LeaseWork(const NextWork& work, const std::string& owner, const std::string& worker,
                                           int64_t ttl_seconds, bool start) {
  long long id = work.project.id;
  long long now = NowUnixSeconds();
  long long expires = now + ttl_seconds;
  long long epoch = work.lease_epoch, next = work.lease_epoch + 1;
  LeaseGrant grant;
  try {
    // The epoch compared, as AcquireLease does: a lease renewed or taken
    // since LockWork read the row is not taken.
    soci::statement st =
        (db_->session().prepare << std::string("UPDATE project_syncs SET lease_owner = :o, lease_worker = :w,"
                                               " lease_expires_at = :x, lease_epoch = :next") +
                                       (start ? ", resync_requested = 0, sync_requested_at = NULL,"
                                                " sync_requested_trigger = NULL, status = 'running'"
                                              : "") +
                                       " WHERE project_id = :id AND lease_epoch = :e AND (lease_owner IS NULL"
                                       " OR lease_expires_at < :now)",
         soci::use(owner), soci::use(worker), soci::use(expires), soci::use(next), soci::use(id), soci::use(epoch),
         soci::use(now));
    st.execute(true);
    if (st.get_affected_rows() != 1) return grant;
  } catch (...) {
    return StatusFromCurrentException("cannot take the project's lease");
  }
  grant.acquired = true;
  grant.epoch = next;
  grant.taken_from = work.lease_owner;
  return grant;
}

Result<int64_t> ProjectStore::CountWaiting(const WorkFilter& filter) {
  long long now = filter.now, count = 0;
  int default_on = filter.default_scheduled ? 1 : 0;
  try {
    db_->session() << std::string("SELECT COUNT(*) FROM project_syncs s") + kWaitingFilter, soci::use(now),
        soci::use(now), soci::use(default_on), soci::use(now), soci::into(count);
  } catch (...) {
    return StatusFromCurrentException("cannot count the projects waiting for a sync");
  }
  return static_cast<int64_t>(count);
}

Result<std::pair<int64_t, std::optional<int64_t>>> ProjectStore::CountDue(int64_t now, bool default_scheduled) {
  long long at = now, count = 0, earliest = 0;
  int default_on = default_scheduled ? 1 : 0;
  soci::indicator earliest_ind = soci::i_null;
  try {
    db_->session() << std::string("SELECT COUNT(*), MIN(COALESCE(s.next_sync_at, :now3))") + kDueFilter,
        soci::use(at), soci::use(default_on), soci::use(at), soci::use(at), soci::into(count),
        soci::into(earliest, earliest_ind);
  } catch (...) {
    return StatusFromCurrentException("cannot count the projects whose scheduled sync is due");
  }
  std::optional<int64_t> first;
  if (count > 0 && earliest_ind != soci::i_null) first = earliest;
  return std::make_pair(static_cast<int64_t>(count), first);
}

Status ProjectStore::SetStatus(int64_t project_id, const std::string& status, const std::string& error) {
  long long id = project_id;
  std::string now = NowIso8601();
  std::string status_value = status, error_value = error;
  soci::indicator error_ind = error.empty() ? soci::i_null : soci::i_ok;
  try {
    db_->session() << "UPDATE project_syncs SET status = :s, last_error = :e, updated_at = :now"
                      " WHERE project_id = :id",
        soci::use(status_value), soci::use(error_value, error_ind), soci::use(now), soci::use(id);
  } catch (...) {
    return StatusFromCurrentException("cannot record the project's status");
  }
  return Status::Ok();
}

Status ProjectStore::MarkSynced(int64_t project_id) {
  long long id = project_id;
  std::string now = NowIso8601();
  try {
    db_->session() << "UPDATE project_syncs SET status = 'synced', last_error = NULL,"
                      " last_synced_at = :now, updated_at = :now2 WHERE project_id = :id",
        soci::use(now), soci::use(now), soci::use(id);
  } catch (...) {
    return StatusFromCurrentException("cannot record the project's status");
  }
  return Status::Ok();
}

Result<std::vector<std::pair<int64_t, std::string>>> ProjectStore::WithoutSyncSettings() {
  std::vector<std::pair<int64_t, std::string>> projects;
  try {
    soci::rowset<soci::row> rows =
        (db_->session().prepare << "SELECT p.id, p.name FROM projects p LEFT JOIN project_syncs s"
                                   " ON s.project_id = p.id WHERE s.project_id IS NULL ORDER BY p.name");
    for (const soci::row& row : rows) projects.emplace_back(RowInt(row, 0), RowText(row, 1));
  } catch (...) {
    return StatusFromCurrentException("cannot read projects without sync settings");
  }
  return projects;
}

Status ProjectStore::AddMissingSyncSettings(int64_t project_id, const std::string& provider,
                                            const std::string& storage) {
  long long id = project_id;
  std::string now = NowIso8601();
  try {
    db_->session() << "INSERT INTO project_syncs (project_id, tenant_id, provider, storage, repo_url, branch,"
                      " sync_enabled, status, updated_at) SELECT p.id, p.tenant_id, :p, :s, '', '', 0, 'needs_setup', :t"
                      " FROM projects p WHERE p.id = :id",
        soci::use(provider), soci::use(storage), soci::use(now), soci::use(id);
  } catch (...) {
    return StatusFromCurrentException("cannot add the project's sync settings");
  }
  return Status::Ok();
}

Result<LeaseGrant> ProjectStore::AcquireLease(int64_t project_id, const std::string& owner,
                                               const std::string& worker, int64_t ttl_seconds,
                                               const std::string& gone_owner) {
  long long id = project_id;
  long long now = NowUnixSeconds();
  long long expires = now + ttl_seconds;
  LeaseGrant grant;
  try {
    std::string holder;
    soci::indicator holder_ind = soci::i_null;
    long long epoch = 0, holder_expires = 0;
    soci::indicator expires_ind = soci::i_null;
    db_->session() << "SELECT lease_owner, lease_expires_at, lease_epoch FROM project_syncs WHERE project_id = :id",
        soci::use(id), soci::into(holder, holder_ind), soci::into(holder_expires, expires_ind), soci::into(epoch);
    if (!db_->session().got_data()) return Status::NotFound("the project has no sync settings");
    const bool held = holder_ind == soci::i_ok;
    if (held && holder != gone_owner && expires_ind == soci::i_ok && holder_expires >= now) return grant;
    // The epoch compared as well: of two runs that read the same free lease,
    // one wins; and a renewal since the read makes this one lose.
    long long next = epoch + 1;
    std::string gone = gone_owner;
    soci::statement st =
        (db_->session().prepare << "UPDATE project_syncs SET lease_owner = :o, lease_worker = :w,"
                                   " lease_expires_at = :x, lease_epoch = :next"
                                   " WHERE project_id = :id AND lease_epoch = :e AND (lease_owner IS NULL"
                                   " OR lease_expires_at < :now OR lease_owner = :gone)",
         soci::use(owner), soci::use(worker), soci::use(expires), soci::use(next), soci::use(id), soci::use(epoch),
         soci::use(now), soci::use(gone));
    st.execute(true);
    if (st.get_affected_rows() != 1) return grant;
    grant.acquired = true;
    grant.epoch = next;
    if (held) grant.taken_from = holder;
  } catch (...) {
    return StatusFromCurrentException("cannot take the project's lease");
  }
  return grant;
}

Result<std::string> ProjectStore::LiveLeaseOwner(int64_t project_id) {
  long long id = project_id;
  long long now = NowUnixSeconds();
  std::string owner;
  soci::indicator owner_ind = soci::i_null;
  try {
    db_->session() << "SELECT lease_owner FROM project_syncs WHERE project_id = :id AND lease_owner IS NOT NULL"
                      " AND lease_expires_at >= :now",
        soci::use(id), soci::use(now), soci::into(owner, owner_ind);
  } catch (...) {
    return StatusFromCurrentException("cannot read the project's lease");
  }
  if (!db_->session().got_data() || owner_ind != soci::i_ok) return std::string();
  return owner;
}

Result<bool> ProjectStore::RenewLease(int64_t project_id, const std::string& owner, int64_t ttl_seconds) {
  long long id = project_id;
  long long expires = NowUnixSeconds() + ttl_seconds;
  try {
    soci::statement st =
        (db_->session().prepare << "UPDATE project_syncs SET lease_expires_at = :x WHERE project_id = :id"
                                   " AND lease_owner = :o",
         soci::use(expires), soci::use(id), soci::use(owner));
    st.execute(true);
    return st.get_affected_rows() == 1;
  } catch (...) {
    return StatusFromCurrentException("cannot renew the project's lease");
  }
}

Result<std::optional<bool>> ProjectStore::LockOwnLease(int64_t project_id, const std::string& owner) {
  long long id = project_id;
  int resync = 0;
  try {
    const std::string lock = db_->dialect() == Dialect::kPostgres ? " FOR UPDATE" : "";
    db_->session() << "SELECT resync_requested FROM project_syncs WHERE project_id = :id AND lease_owner = :o" + lock,
        soci::use(id), soci::use(owner), soci::into(resync);
    if (!db_->session().got_data()) return std::optional<bool>();
  } catch (...) {
    return StatusFromCurrentException("cannot read the project's lease");
  }
  return std::optional<bool>(resync != 0);
}

Status ProjectStore::EndRun(int64_t project_id, const std::string& owner, const RunEnd& end) {
  long long id = project_id;
  std::string now = NowIso8601();
  std::string status = end.status, error = end.error;
  soci::indicator error_ind = error.empty() ? soci::i_null : soci::i_ok;
  long long next = end.next_sync_at.value_or(0), changed = end.head_changed_at.value_or(0);
  soci::indicator next_ind = end.next_sync_at ? soci::i_ok : soci::i_null;
  std::string sql = "UPDATE project_syncs SET status = :s, last_error = :e, updated_at = :now, next_sync_at = :n,"
                    " lease_owner = NULL, lease_expires_at = NULL";
  if (end.synced) sql += ", last_synced_at = :now2";
  if (end.head_changed_at) sql += ", head_changed_at = :c";
  if (!end.keep_resync) sql += ", resync_requested = 0";
  sql += " WHERE project_id = :id AND lease_owner = :o";
  try {
    soci::statement st = (db_->session().prepare << sql);
    st.exchange(soci::use(status));
    st.exchange(soci::use(error, error_ind));
    st.exchange(soci::use(now));
    st.exchange(soci::use(next, next_ind));
    if (end.synced) st.exchange(soci::use(now));
    if (end.head_changed_at) st.exchange(soci::use(changed));
    st.exchange(soci::use(id));
    std::string holder = owner;
    st.exchange(soci::use(holder));
    st.define_and_bind();
    st.execute(true);
  } catch (...) {
    return StatusFromCurrentException("cannot record the end of the project's run");
  }
  return Status::Ok();
}

Status ProjectStore::ReleaseLease(int64_t project_id, const std::string& owner) {
  long long id = project_id;
  try {
    db_->session() << "UPDATE project_syncs SET lease_owner = NULL, lease_expires_at = NULL"
                      " WHERE project_id = :id AND lease_owner = :o",
        soci::use(id), soci::use(owner);
  } catch (...) {
    return StatusFromCurrentException("cannot release the project's lease");
  }
  return Status::Ok();
}

Status ProjectStore::TakeResyncRequest(int64_t project_id) {
  long long id = project_id;
  try {
    db_->session() << "UPDATE project_syncs SET resync_requested = 0, sync_requested_at = NULL,"
                      " sync_requested_trigger = NULL WHERE project_id = :id"
                      " AND (resync_requested <> 0 OR sync_requested_at IS NOT NULL)",
        soci::use(id);
  } catch (...) {
    return StatusFromCurrentException("cannot take the project's resync request");
  }
  return Status::Ok();
}

Result<bool> ProjectStore::RequestResync(int64_t project_id) {
  long long id = project_id;
  long long now = NowUnixSeconds();
  try {
    soci::statement st =
        (db_->session().prepare << "UPDATE project_syncs SET resync_requested = 1 WHERE project_id = :id"
                                   " AND lease_owner IS NOT NULL AND lease_expires_at >= :now",
         soci::use(id), soci::use(now));
    st.execute(true);
    return st.get_affected_rows() == 1;
  } catch (...) {
    return StatusFromCurrentException("cannot ask for another sync of the project");
  }
}

}  // namespace tether::db
