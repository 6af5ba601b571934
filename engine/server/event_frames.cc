#include "engine/server/event_frames.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <soci/soci.h>

#include "shared/row_values.h"
#include "shared/sql_connect.h"

namespace tether::server {

std::string EventFrame(int64_t id, const std::string& type, const std::string& payload_json,
                       const std::string& project_name, int64_t run_id, const std::string& created_at) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("project");
  writer.String(project_name.c_str(), static_cast<rapidjson::SizeType>(project_name.size()));
  writer.Key("run_id");
  if (run_id > 0) {
    writer.Int64(run_id);
  } else {
    writer.Null();
  }
  writer.Key("created_at");
  writer.String(created_at.c_str(), static_cast<rapidjson::SizeType>(created_at.size()));
  rapidjson::Document payload;
  payload.Parse(payload_json.c_str(), payload_json.size());
  if (!payload.HasParseError() && payload.IsObject()) {
    for (auto member = payload.MemberBegin(); member != payload.MemberEnd(); ++member) {
      const std::string key = member->name.GetString();
      if (key == "project" || key == "run_id" || key == "created_at" || key == "preview") continue;  // ours win
      writer.Key(member->name.GetString(), member->name.GetStringLength());
      member->value.Accept(writer);
    }
  } else {
    writer.Key("payload");
    writer.String(payload_json.c_str(), static_cast<rapidjson::SizeType>(payload_json.size()));
  }
  if (id <= 0) {
    writer.Key("preview");
    writer.Bool(true);
  }
  writer.EndObject();
  // The writer escapes control characters, so the data is one line; the
  // type is the engine's own ("run.started", ...), never a newline.
  std::string frame = id > 0 ? "id: " + std::to_string(id) + "\n" : std::string();
  frame += "event: " + type + "\ndata: ";
  frame.append(buffer.GetString(), buffer.GetSize());
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
