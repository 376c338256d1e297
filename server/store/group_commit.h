// Group commit: the calls that arrive while a transaction is committing
// share the next one. A group takes the event counter and the audit head
// first, runs each call's work in a savepoint of its own, numbers all their
// events and links all their audit records under those two locks, and
// commits once: one counter move, one head move and one WAL flush for the
// group. Every call is answered only after that COMMIT; a call whose work
// fails is rolled back alone, and a COMMIT that fails fails every call of
// the group (each retries with its idempotency key).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

#include "absl/status/status.h"
#include "core/events/event.h"
#include "store/audit_store.h"
#include "store/db_pool.h"
#include "store/pg.h"

namespace tsodso::store {

// One call's part in a group transaction.
struct GroupMember {
  // At the call's turn, before any database work: whether it may run (not
  // cancelled, not past its deadline, allowed). A refusal skips `body`.
  // Empty: it may.
  std::function<absl::Status()> ready;
  // The call's reads and writes in the group's transaction. When it fails,
  // its writes are rolled back and the other members' stay. Empty: the
  // call has no database work (its outcome is `ready`'s).
  std::function<absl::Status(PgConnection&)> body;
  // The call's audit record for its outcome; nullopt: not audited.
  std::function<std::optional<AuditEntry>(const absl::Status&)> audit;
  // Called once, after the group's COMMIT: with the call's own outcome when
  // the group committed, with the group's failure otherwise.
  std::function<void(const absl::Status&)> done;
};

// What the groups so far amounted to.
struct GroupCommitStats {
  int64_t groups = 0;   // transactions committed
  int64_t members = 0;  // calls answered from them
  int64_t largest = 0;  // members of the largest
};

class GroupCommit {
 public:
  // Groups run on `pool`'s workers, one group's work at a time (the next
  // group starts while the one before commits); at most `max_members` calls
  // share one (1: every call has a transaction of its own), at most
  // `max_queue` wait for one.
  GroupCommit(DbPool& pool, int max_members, size_t max_queue);
  // Fails the calls still waiting (UNAVAILABLE). Shut the pool down first.
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Have `sink` called with each group's events, in seq order, on the
  // group's worker right after its COMMIT succeeds and before its calls
  // are answered (not for a group that appended none). Groups commit one
  // after another, but their sinks may run out of that order, on different
  // workers. Set it before the first Submit.
  void SetCommittedSink(std::function<void(std::vector<core::StoredEvent>)> sink) { committed_ = std::move(sink); }

  // Queue a call for the next group, or answer it at once with
  // RESOURCE_EXHAUSTED when `max_queue` calls wait already.
  void Submit(GroupMember member);

  // Calls waiting for a group.
  size_t queued() const;
  GroupCommitStats stats() const;

  // The most calls one group may hold: each member after the first runs in
  // a subtransaction, and PostgreSQL keeps 64 of those per transaction in
  // shared memory before every other session's snapshots get slower.
  static constexpr int kMaxMembers = 64;

 private:
  // On a worker: run one group.
  void Run(absl::StatusOr<PgConnection*> conn);
  // Take the next group's members from the queue.
  std::vector<GroupMember> Take();
  // Let the next group start (on another worker) if calls wait.
  void HandOff();
  void Post();

  DbPool& pool_;
  const size_t max_members_;
  const size_t max_queue_;
  mutable std::mutex mu_;
  std::deque<GroupMember> queue_;
  bool leading_ = false;  // a group is queued on the pool or running its work
  GroupCommitStats stats_;
  std::function<void(std::vector<core::StoredEvent>)> committed_;
};

}  // namespace tsodso::store
