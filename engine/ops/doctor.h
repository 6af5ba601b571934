// `tether doctor`: everything a sync needs, checked in the order a sync
// needs it, each with what to do when it fails: the config, the database
// and its migrations, each configured plugin, and each project's
// repository and branch (opened and resolved through its provider, so that
// missing credentials, such as an unset GITHUB_TOKEN, show as the provider
// reports them).
//
// Changes nothing: the database is not created, nothing is synced.
// Thread safety: uses the Runtime's database and plugins from one thread.
#ifndef TETHER_ENGINE_OPS_DOCTOR_H_
#define TETHER_ENGINE_OPS_DOCTOR_H_

#include <string>
#include <vector>

#include "engine/app/runtime.h"

namespace tether::ops {

struct DoctorCheck {
  std::string subject;  // "database", "migrations", "plugin github", "project web"
  bool ok = false;
  std::string detail;   // what was found
  std::string fix;      // what to do; empty when ok
};

// The checks, in order. A check that cannot run because an earlier one
// failed (the projects without a database) is left out.
std::vector<DoctorCheck> Diagnose(app::Runtime* runtime);

}  // namespace tether::ops

#endif  // TETHER_ENGINE_OPS_DOCTOR_H_
