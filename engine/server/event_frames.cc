#include "engine/server/event_frames.h"

#include <rapidjson/document.h>
#include <soci/soci.h>

#include "engine/common/json_writer.h"
#include "shared/row_values.h"
#include "shared/sql_connect.h"

namespace tether::server {

std::string EventFrame(int64_t id, const std::string& type, const std::string& payload_json,
                       const std::string& project_name, int64_t run_id, const std::string& created_at) {
  CompactJsonWriter json;
  json.Begin().Str("project", project_name);
  if (run_id > 0) json.Int("run_id", run_id);
  else json.Null("run_id");
  json.Str("created_at", created_at);
  rapidjson::Document payload;
  payload.Parse(payload_json.c_str(), payload_json.size());
  if (!payload.HasParseError() && payload.IsObject()) {
    for (auto member = payload.MemberBegin(); member != payload.MemberEnd(); ++member) {
      const std::string key = member->name.GetString();
      if (key == "project" || key == "run_id" || key == "created_at" || key == "preview") continue;  // ours win
      json.writer().Key(member->name.GetString(), member->name.GetStringLength());
      member->value.Accept(json.writer());
    }
  } else {
    json.Str("payload", payload_json);
  }
  if (id <= 0) json.Bool("preview", true);
  json.End();
  // The writer escapes control characters, so the data is one line; the
  // type is the engine's own ("run.started", ...), never a newline.
  std::string frame = id > 0 ? "id: " + std::to_string(id) + "\n" : std::string();
  frame += "event: " + type + "\ndata: ";
  frame += json.Text();
  frame += "\n\n";
  return frame;
}

Result<std::vector<StreamEvent>> ReadEvents(db::Database* db, int64_t after_id, int64_t up_to_id, int limit,
                                            const EventFilter* filter) {
  std::string sql =
      "SELECT e.id, e.project_id, e.run_id, e.type, e.payload, e.created_at, p.name, p.tenant_id"
      " FROM events e LEFT JOIN projects p ON p.id = e.project_id WHERE e.id > :after";
  if (up_to_id > 0) sql += " AND e.id <= " + std::to_string(up_to_id);
  long long after = after_id, project = filter != nullptr ? filter->project_id : 0;
  std::string tenant = filter != nullptr ? filter->tenant_id : std::string();
  if (filter != nullptr) {
    sql += filter->project_id > 0 ? " AND e.project_id = :project AND p.tenant_id = :tenant"
                                  : " AND (e.project_id IS NULL OR p.tenant_id = :tenant)";
  }
  sql += " ORDER BY e.id LIMIT " + std::to_string(limit);
  std::vector<StreamEvent> events;
  auto take = [&](soci::rowset<soci::row>& rows) {
    for (const soci::row& row : rows) {
      StreamEvent event;
      event.id = db::RowInt(row, 0);
      event.project_id = db::RowInt(row, 1);
      event.tenant_id = db::RowText(row, 7);
      const bool visible = event.project_id == 0 || row.get_indicator(7) != soci::i_null;
      if (visible) {
        event.frame = std::make_shared<const std::string>(EventFrame(
            event.id, db::RowText(row, 3), db::RowText(row, 4), db::RowText(row, 6), db::RowInt(row, 2),
            db::RowText(row, 5)));
      }
      events.push_back(std::move(event));
    }
  };
  try {
    if (filter == nullptr) {
      soci::rowset<soci::row> rows = (db->session().prepare << sql, soci::use(after));
      take(rows);
    } else if (filter->project_id > 0) {
      soci::rowset<soci::row> rows = (db->session().prepare << sql, soci::use(after), soci::use(project), soci::use(tenant));
      take(rows);
    } else {
      soci::rowset<soci::row> rows = (db->session().prepare << sql, soci::use(after), soci::use(tenant));
      take(rows);
    }
  } catch (...) {
    return db::StatusFromCurrentException("cannot read events");
  }
  return events;
}

Result<int64_t> LastEventId(db::Database* db) {
  try {
    soci::row row;
    db->session() << "SELECT MAX(id) FROM events", soci::into(row);
    return db::RowInt(row, 0);
  } catch (...) {
    return db::StatusFromCurrentException("cannot read the last event id");
  }
}

}  // namespace tether::server
