#include "engine/sync/sync_event.h"

#include "engine/common/json_writer.h"

namespace tether::sync {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

const char* EventType(const EventBody& body) {
  return std::visit(Overloaded{
                        [](const RunStarted&) { return "run.started"; },
                        [](const PhaseStarted&) { return "phase.started"; },
                        [](const PhaseProgress&) { return "phase.progress"; },
                        [](const PhaseFinished&) { return "phase.finished"; },
                        [](const PhaseFailed&) { return "phase.failed"; },
                        [](const PathRefused&) { return "path.refused"; },
                        [](const RunFinished&) { return "run.finished"; },
                    },
                    body);
}

std::string EventPayloadJson(const EventBody& body) {
  CompactJsonWriter json;
  json.Begin();
  std::visit(Overloaded{
                 [&](const RunStarted& e) {
                   json.Str("project", e.project).Str("branch", e.branch).Str("trigger", e.trigger);
                 },
                 [&](const PhaseStarted& e) { json.Str("phase", ToString(e.phase)); },
                 [&](const PhaseProgress& e) {
                   json.Str("phase", ToString(e.phase)).Int("done", e.done).Int("total", e.total);
                 },
                 [&](const PhaseFinished& e) { json.Str("phase", ToString(e.phase)).Num("ms", e.ms); },
                 [&](const PhaseFailed& e) { json.Str("phase", ToString(e.phase)).Str("error", e.error); },
                 [&](const PathRefused& e) { json.Str("path", e.path).Str("reason", e.reason); },
                 [&](const RunFinished& e) {
                   json.Str("project", e.project).Str("outcome", ToString(e.outcome)).Str("mode", ToString(e.mode))
                       .Int("added", e.added).Int("modified", e.modified).Int("deleted", e.deleted)
                       .Int("renamed", e.renamed).Int("skipped", e.skipped).Num("total_ms", e.total_ms)
                       .StrOrNull("error", e.error);  // null when none, as in the API's runs
                 },
             },
             body);
  return json.End().Text();
}

}  // namespace tether::sync
