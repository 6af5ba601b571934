#include "engine/event_stream/event_frames.h"

#include <rapidjson/document.h>

#include "engine/common/json_writer.h"

namespace tether::event_stream {

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
  const db::EventScope scope = filter != nullptr ? filter->scope() : db::EventScope{};
  Result<std::vector<db::StoredEvent>> rows =
      db::EventStore(db).Read(after_id, up_to_id, limit, filter != nullptr ? &scope : nullptr);
  if (!rows.ok()) return rows.status();
  std::vector<StreamEvent> events;
  events.reserve(rows->size());
  for (const db::StoredEvent& row : *rows) {
    StreamEvent event;
    event.id = row.id;
    event.project_id = row.project_id;
    event.tenant_id = row.tenant_id;
    if (row.project_visible) {
      event.frame = std::make_shared<const std::string>(
          EventFrame(row.id, row.type, row.payload, row.project_name, row.run_id, row.created_at));
    }
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace tether::event_stream
