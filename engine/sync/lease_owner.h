// Who holds a project's run lease (project_syncs.lease_owner), and whether
// that holder is known to be gone.
//
// An owner is "HOST:PID:N:UNIXTIME": the host and process that claimed the
// project, a counter within that process, and when it claimed it. A lease
// normally ends when its run does, or expires after `lease_seconds`; a
// process that crashed or was killed leaves its lease behind, and the
// project could not be synced until it expired. A process on the same host
// can tell that the holder is gone (no such process, or a newer one that
// reuses its pid), so that a new run takes the lease over at once.
//
// The host part is the machine's host name, or the identity the operator
// set (`tether worker --host-id`, workers.host_id): processes given
// different identities treat each other as separate machines, whose leases
// are taken over only once they expire.
//
// Thread safety: every function may be called from any thread, once
// SetHostIdentity (if called) has returned.
#ifndef TETHER_ENGINE_SYNC_LEASE_OWNER_H_
#define TETHER_ENGINE_SYNC_LEASE_OWNER_H_

#include <string>

namespace tether::sync {

// Sets the host part of this process's owner names; call once, before any
// lease is taken. Empty keeps the host name. InvalidArgument-free: a name
// with ':' or whitespace is refused by the config and the CLI first.
void SetHostIdentity(const std::string& host);
// The host part of this process's owner names.
std::string HostIdentity();

// This process's id as a worker (db::WorkerStore): "HOST:PID:STARTED",
// the same for every call.
std::string ThisWorkerId();

// A new owner name for this process, unique within it.
std::string NewLeaseOwner();

// True when `owner` names a process of this host that no longer runs: its
// pid is unused, or the process with that pid started after the lease was
// taken. False for owners of other hosts (their leases must expire), for
// live processes, and for names not made by NewLeaseOwner.
bool LeaseOwnerIsGone(const std::string& owner);

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_LEASE_OWNER_H_
