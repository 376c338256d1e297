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

// Open the group's transaction and take the event counter and the audit
// head first. Every group takes these two before anything else, and other
// transactions take nothing after them, so groups never wait for each
// other, or for a publisher, in a cycle.
absl::Status Begin(PgConnection& db, std::optional<EventBatch>& events, std::optional<AuditBatch>& audits) {
  TSODSO_RETURN_IF_ERROR(db.EnsureConnected());
  db.Defer(kBegin);
  absl::StatusOr<EventBatch> counter = EventBatch::Lock(db);
  db.DropDeferred();
  if (!counter.ok()) return counter.status();
  absl::StatusOr<AuditBatch> head = AuditBatch::Lock(db);
  if (!head.ok()) return head.status();
  events.emplace(std::move(*counter));
  audits.emplace(std::move(*head));
  return absl::OkStatus();
}

}  // namespace

GroupCommit::GroupCommit(DbPool& pool, int max_members, size_t max_queue)
    : pool_(pool), max_members_(static_cast<size_t>(std::clamp(max_members, 1, kMaxMembers))), max_queue_(max_queue) {}

GroupCommit::~GroupCommit() {
  std::deque<GroupMember> left;
  {
    std::lock_guard lock(mu_);
    left.swap(queue_);
  }
  for (const GroupMember& m : left) Answer(m, absl::UnavailableError("gateway is shutting down; ask again"));
}

void GroupCommit::Submit(GroupMember member) {
  bool post = false;
  size_t waiting = 0;
  {
    std::lock_guard lock(mu_);
    waiting = queue_.size();
    if (waiting < max_queue_) {
      queue_.push_back(std::move(member));
      post = !leading_;
      leading_ = true;
    }
  }
  if (waiting >= max_queue_) {
    Answer(member, absl::ResourceExhaustedError(
                       absl::StrCat("database pool: ", waiting, " calls are waiting already; retry later")));
    return;
  }
  if (post) Post();
}

size_t GroupCommit::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

GroupCommitStats GroupCommit::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void GroupCommit::Post() {
  pool_.Post([this](absl::StatusOr<PgConnection*> conn) { Run(conn); });
}

std::vector<GroupMember> GroupCommit::Take() {
  std::lock_guard lock(mu_);
  const size_t n = std::min(max_members_, queue_.size());
  std::vector<GroupMember> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + n));
  queue_.erase(queue_.begin(), queue_.begin() + n);
  return out;
}

void GroupCommit::HandOff() {
  {
    std::lock_guard lock(mu_);
    leading_ = !queue_.empty();
    if (!leading_) return;
  }
  Post();
}

void GroupCommit::Run(absl::StatusOr<PgConnection*> conn) {
  if (!conn.ok()) {
    // No connection (the database is unreachable, or the gateway is
    // stopping): every waiting call would meet the same.
    std::deque<GroupMember> waiting;
    {
      std::lock_guard lock(mu_);
      waiting.swap(queue_);
      leading_ = false;
    }
    for (const GroupMember& m : waiting) Answer(m, conn.status());
    return;
  }
  PgConnection& db = **conn;
  std::optional<EventBatch> events;
  std::optional<AuditBatch> audits;
  AnswerBatch answers;
  absl::Status group = Begin(db, events, audits);
  // Taken once the locks are held: everything that arrived while the group
  // before was committing.
  std::vector<GroupMember> members = Take();
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
          group = Begin(db, events, audits);
        }
      }
    }
    outcomes[i] = outcome;
    if (std::optional<AuditEntry> entry = AuditOf(m, outcome)) entries.push_back(std::move(*entry));
  }
  if (group.ok()) {
    for (const AuditEntry& entry : entries) audits->Add(entry);
    group = answers.Write(db);
    if (group.ok()) group = events->Write(db);
    if (group.ok()) group = audits->Write(db);
  }
  // The next group may begin now: it waits for this one's locks, which
  // COMMIT releases, and meanwhile gathers the calls that arrive.
  HandOff();
  if (group.ok()) {
    group = Commit(db);
  } else {
    (void)db.Exec(kRollback);
  }

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
