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

// When a call's events get their numbers.
enum class Numbering {
  // As the call runs: its answer or its rows carry the seqs (a notice's
  // event_seqs, a curtailment's notices). Its group takes the event counter
  // first, so such groups run one at a time.
  kInCall,
  // At the end of its group: nothing the call answers or stores names a
  // seq (schedules, validations, audit records). Such groups run side by
  // side, each on a connection of its own, and take the counter only to
  // number and write their events, just before COMMIT.
  kAtCommit,
};

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
  // kInCall unless the call may do without its events' seqs.
  Numbering numbering = Numbering::kInCall;
};

// What the groups so far amounted to.
struct GroupCommitStats {
  int64_t groups = 0;        // transactions committed
  int64_t members = 0;       // calls answered from them
  int64_t largest = 0;       // members of the largest
  int64_t most_at_once = 0;  // groups running at once, at most
};

// Groups of the two kinds never run at once on one replica. A group of
// calls numbered in the call holds the counter while its calls take row
// locks; a group numbered at commit takes row locks first and the counter
// last. Side by side they could each wait for the other's lock. When calls
// of both kinds wait, the kinds take turns: the groups running finish and
// groups of the other kind start.
class GroupCommit {
 public:
  // Groups run on `pool`'s workers. Groups numbered in the call run one
  // group's work at a time (the next starts while the one before commits);
  // up to `parallel` groups numbered at commit run at once. At most
  // `max_members` calls share one (1: every call has a transaction of its
  // own), at most `max_queue` wait for one.
  GroupCommit(DbPool& pool, int max_members, size_t max_queue, int parallel = 1);
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

  // Queue a call for the next group of its kind, or answer it at once with
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
  std::deque<GroupMember>& queue(Numbering kind) { return queues_[static_cast<int>(kind)]; }
  // On a worker: run one group of `kind`.
  void Run(Numbering kind, absl::StatusOr<PgConnection*> conn);
  // Take the next group's members from the queue of `kind`.
  std::vector<GroupMember> Take(Numbering kind);
  // Under mu_: whether a group may start now (it is then counted running).
  bool StartLocked();
  void Post(Numbering kind);
  // The group on this worker lets the next one start (it has taken its
  // calls, or, numbered in the call, is committing them).
  void Gathered();
  // The group on this worker has finished.
  void Finished();

  DbPool& pool_;
  const size_t max_members_;
  const size_t max_queue_;
  const int parallel_;
  mutable std::mutex mu_;
  std::deque<GroupMember> queues_[2];    // by Numbering
  Numbering mode_ = Numbering::kInCall;  // the kind of the groups running
  int running_ = 0;                      // groups of mode_ started and not yet finished
  bool gathering_ = false;               // a group started that has not yet let the next start
  GroupCommitStats stats_;
  std::function<void(std::vector<core::StoredEvent>)> committed_;
};

}  // namespace tsodso::store
