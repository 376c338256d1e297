#include "store/group_commit.h"

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "runtime/metrics.h"
#include "spdlog/spdlog.h"
#include "store/event_store.h"
#include "store/idempotency.h"

namespace tsodso::store {
namespace {

constexpr char kBegin[] = "BEGIN";
constexpr char kRollback[] = "ROLLBACK";
// A member's savepoint; the one before, whose work is kept, is released
// first. Both go with the member's first statement, in its round trip.
constexpr char kSavepoint[] = "SAVEPOINT member";
constexpr char kReleaseSavepoint[] = "RELEASE SAVEPOINT member";
constexpr char kRollbackMember[] = "ROLLBACK TO SAVEPOINT member";

// Run one of a member's functions; an exception becomes INTERNAL, since
// every member of a group must be answered.
template <typename Fn>
absl::Status Guard(Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("group member failed: ", e.what()));
  } catch (...) {
    return absl::InternalError("group member failed with an unknown exception");
  }
}

std::optional<AuditEntry> AuditOf(const GroupMember& m, const absl::Status& outcome) {
  if (!m.audit) return std::nullopt;
  try {
    return m.audit(outcome);
  } catch (...) {
    return std::nullopt;
  }
}

// tsodso_audit_records_total: records in a committed transaction.
prometheus::Counter& AuditRecords() {
  static prometheus::Counter& counter = runtime::Metrics::Get().audit_records.Add({});
  return counter;
}

void Answer(const GroupMember& m, const absl::Status& outcome) {
  if (!m.done) return;
  try {
    m.done(outcome);
  } catch (const std::exception& e) {
    spdlog::error("group commit: answering a call failed: {}", e.what());
  } catch (...) {
    spdlog::error("group commit: answering a call failed");
  }
}

// Lock the event counter and the audit head in one round trip; number the
// events gathered so far after the counter and link records after the head.
absl::Status Lock(PgConnection& db, std::optional<EventBatch>& events, std::optional<AuditBatch>& audits) {
  TSODSO_ASSIGN_OR_RETURN(std::vector<PgResult> rows,
                          db.ExecPipeline({EventBatch::LockStatement(), AuditBatch::LockStatement()}));
  if (events.has_value() && !events->numbered()) {
    events->Number(rows[0]);
  } else {
    events.emplace(EventBatch::Locked(rows[0]));
  }
  audits.emplace(AuditBatch::Locked(rows[1]));
  return absl::OkStatus();
}

// Open the group's transaction. A group numbered in the call takes the
// event counter and the audit head first, in one round trip: every such
// group takes these two before anything else, and other transactions take
// nothing after them, so they never wait for each other, or for a
// publisher, in a cycle. A group numbered at commit takes them at its end
// (Lock).
absl::Status Begin(PgConnection& db, Numbering kind, std::optional<EventBatch>& events,
                   std::optional<AuditBatch>& audits) {
  TSODSO_RETURN_IF_ERROR(db.EnsureConnected());
  if (kind == Numbering::kAtCommit) {
    // Sent now, not with the first member's first statement: a member that
    // runs none would leave it unsent when its turn's deferred savepoint
    // is dropped.
    events.emplace(EventBatch::Unnumbered());
    audits.reset();
    return db.Exec(kBegin).status();
  }
  db.Defer(kBegin);
  absl::Status locked = Lock(db, events, audits);
  db.DropDeferred();
  return locked;
}

}  // namespace

GroupCommit::GroupCommit(DbPool& pool, int max_members, size_t max_queue, int parallel)
    : pool_(pool),
      max_members_(static_cast<size_t>(std::clamp(max_members, 1, kMaxMembers))),
      max_queue_(max_queue),
      parallel_(std::max(parallel, 1)) {}

GroupCommit::~GroupCommit() {
  std::deque<GroupMember> left;
  {
    std::lock_guard lock(mu_);
    for (std::deque<GroupMember>& q : queues_) {
      std::move(q.begin(), q.end(), std::back_inserter(left));
      q.clear();
    }
  }
  for (const GroupMember& m : left) Answer(m, absl::UnavailableError("gateway is shutting down; ask again"));
}

void GroupCommit::Submit(GroupMember member) {
  size_t waiting = 0;
  bool start = false;
  Numbering kind = member.numbering;
  {
    std::lock_guard lock(mu_);
    waiting = queues_[0].size() + queues_[1].size();
    if (waiting < max_queue_) {
      queue(member.numbering).push_back(std::move(member));
      start = StartLocked();
      kind = mode_;
    }
  }
  if (waiting >= max_queue_) {
    Answer(member, absl::ResourceExhaustedError(
                       absl::StrCat("database pool: ", waiting, " calls are waiting already; retry later")));
    return;
  }
  if (start) Post(kind);
}

size_t GroupCommit::queued() const {
  std::lock_guard lock(mu_);
  return queues_[0].size() + queues_[1].size();
}

GroupCommitStats GroupCommit::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool GroupCommit::StartLocked() {
  const auto other = [](Numbering k) { return k == Numbering::kInCall ? Numbering::kAtCommit : Numbering::kInCall; };
  // When the groups running have finished and calls of the other kind
  // wait, it is their turn.
  if (running_ == 0 && !queue(other(mode_)).empty()) mode_ = other(mode_);
  // While calls of the other kind wait, no further group of this kind
  // starts.
  if (gathering_ || queue(mode_).empty() || (running_ > 0 && !queue(other(mode_)).empty())) return false;
  if (running_ >= (mode_ == Numbering::kAtCommit ? parallel_ : 2)) return false;
  gathering_ = true;
  ++running_;
  stats_.most_at_once = std::max<int64_t>(stats_.most_at_once, running_);
  return true;
}

void GroupCommit::Post(Numbering kind) {
  pool_.Post([this, kind](absl::StatusOr<PgConnection*> conn) { Run(kind, conn); });
}

std::vector<GroupMember> GroupCommit::Take(Numbering kind) {
  std::lock_guard lock(mu_);
  std::deque<GroupMember>& q = queue(kind);
  const size_t n = std::min(max_members_, q.size());
  std::vector<GroupMember> out(std::make_move_iterator(q.begin()), std::make_move_iterator(q.begin() + n));
  q.erase(q.begin(), q.begin() + n);
  return out;
}

void GroupCommit::Gathered() {
  bool start = false;
  Numbering kind;
  {
    std::lock_guard lock(mu_);
    gathering_ = false;
    start = StartLocked();
    kind = mode_;
  }
  if (start) Post(kind);
}

void GroupCommit::Finished() {
  bool start = false;
  Numbering kind;
  {
    std::lock_guard lock(mu_);
    --running_;
    start = StartLocked();
    kind = mode_;
  }
  if (start) Post(kind);
}

void GroupCommit::Run(Numbering kind, absl::StatusOr<PgConnection*> conn) {
  if (!conn.ok()) {
    // No connection (the database is unreachable, or the gateway is
    // stopping): every waiting call of this kind would meet the same.
    std::deque<GroupMember> waiting;
    {
      std::lock_guard lock(mu_);
      waiting.swap(queue(kind));
      gathering_ = false;
    }
    for (const GroupMember& m : waiting) Answer(m, conn.status());
    Finished();
    return;
  }
  PgConnection& db = **conn;
  std::optional<EventBatch> events;
  std::optional<AuditBatch> audits;
  AnswerBatch answers;
  absl::Status group = Begin(db, kind, events, audits);
  // Taken once the group has begun (numbered in the call: once it holds the
  // counter): everything that arrived while the group before was committing.
  std::vector<GroupMember> members = Take(kind);
  // A group numbered at commit lets the next one gather at once: it runs
  // beside this one.
  if (kind == Numbering::kAtCommit) Gathered();
  std::vector<absl::Status> outcomes(members.size());
  std::vector<AuditEntry> entries;
  // Only work kept from earlier members needs a savepoint: when the first
  // body fails, the transaction is rolled back and begun again instead.
  bool kept = false;
  bool savepoint = false;
  for (size_t i = 0; i < members.size() && group.ok(); ++i) {
    const GroupMember& m = members[i];
    absl::Status outcome = m.ready ? Guard(m.ready) : absl::OkStatus();
    if (outcome.ok() && m.body) {
      if (kept) {
        if (savepoint) db.Defer(kReleaseSavepoint);
        db.Defer(kSavepoint);
      }
      const size_t event_mark = events->size();
      const size_t answer_mark = answers.size();
      db.set_group_batches(&*events, &answers);
      outcome = Guard([&] { return m.body(db); });
      db.set_group_batches(nullptr, nullptr);
      // Still deferred: the body ran no statement, so it has nothing to
      // roll back in the database and needs no savepoint.
      const bool saved = kept && !db.deferred();
      // A savepoint that could not be set (or the one before released)
      // leaves nothing safe to roll back to: the group fails.
      const absl::Status deferred = db.deferred_status();
      db.DropDeferred();
      if (!deferred.ok()) {
        group = deferred;
        break;
      }
      if (saved) savepoint = true;
      if (outcome.ok()) {
        kept = true;
      } else {
        events->Truncate(event_mark);
        answers.Truncate(answer_mark);
        if (saved) {
          group = db.Exec(kRollbackMember).status();
        } else if (!kept) {
          (void)db.Exec(kRollback);
          group = Begin(db, kind, events, audits);
        }
      }
    }
    outcomes[i] = outcome;
    if (std::optional<AuditEntry> entry = AuditOf(m, outcome)) entries.push_back(std::move(*entry));
  }
  if (group.ok()) {
    // The answers need no number: numbered at commit, they are written
    // before the counter is taken, so that it is held the shortest time.
    group = answers.Write(db);
    if (group.ok() && kind == Numbering::kAtCommit) group = Lock(db, events, audits);
    db.DropDeferred();
  }
  if (group.ok()) {
    for (const AuditEntry& entry : entries) audits->Add(entry);
    group = events->Write(db);
    if (group.ok()) group = audits->Write(db);
  }
  // Numbered in the call, the next group may begin now: it waits for this
  // one's locks, which COMMIT releases, and meanwhile gathers the calls that
  // arrive.
  if (kind == Numbering::kInCall) Gathered();
  if (group.ok()) {
    group = Commit(db);
  } else {
    (void)db.Exec(kRollback);
  }
  Finished();

  if (group.ok()) {
    if (committed_ && events->size() > 0) {
      try {
        committed_(events->events());
      } catch (const std::exception& e) {
        spdlog::error("group commit: handing over the committed events failed: {}", e.what());
      }
    }
    AuditRecords().Increment(static_cast<double>(entries.size()));
    {
      std::lock_guard lock(mu_);
      ++stats_.groups;
      stats_.members += static_cast<int64_t>(members.size());
      stats_.largest = std::max(stats_.largest, static_cast<int64_t>(members.size()));
    }
    for (size_t i = 0; i < members.size(); ++i) Answer(members[i], outcomes[i]);
    return;
  }
  // Nothing of the group was stored. Its calls are refused with its
  // failure, and audited so in a transaction of their own, unless the
  // database cannot be reached.
  if (group.code() != absl::StatusCode::kUnavailable) {
    size_t refused = 0;
    absl::Status audited = InTransaction(db, [&]() -> absl::Status {
      TSODSO_ASSIGN_OR_RETURN(AuditBatch refusals, AuditBatch::Lock(db));
      refused = 0;
      for (const GroupMember& m : members) {
        if (std::optional<AuditEntry> entry = AuditOf(m, group)) {
          refusals.Add(*entry);
          ++refused;
        }
      }
      return refusals.Write(db);
    });
    if (audited.ok()) {
      AuditRecords().Increment(static_cast<double>(refused));
    } else {
      spdlog::error("audit of {} calls whose group failed ({}) failed: {}", members.size(),
                    std::string(group.message()), std::string(audited.message()));
    }
  }
  for (const GroupMember& m : members) Answer(m, group);
}

}  // namespace tsodso::store
