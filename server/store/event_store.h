// The durable event log: append inside the caller's transaction, read back
// in sequence order.
#pragma once

#include <algorithm>
#include <vector>

#include "absl/status/statusor.h"
#include "core/events/event.h"
#include "store/pg.h"

namespace tsodso::store {

// Channel on which every commit that appends events is announced, with the
// last new seq as payload; all replicas LISTEN on it.
inline constexpr char kEventChannel[] = "tsodso_events";

// Events numbered inside one transaction that holds the event counter's row
// lock: from Lock until COMMIT no other transaction takes numbers, so
// numbers are handed out in commit order, and a rollback gives them back.
class EventBatch {
 public:
  // Inside an open transaction: lock the counter and number after it.
  static absl::StatusOr<EventBatch> Lock(PgConnection& conn);
  // The statement that locks the counter, to send in a pipeline, and the
  // batch numbered after the row it returned.
  static Statement LockStatement();
  static EventBatch Locked(const PgResult& counter);
  // A batch numbered only when the counter is locked (Number), as late as
  // the transaction allows: the events it hands out until then have seq 0,
  // so only calls whose answers and rows carry no seq may add to it.
  static EventBatch Unnumbered() { return EventBatch(0, absl::InfinitePast(), false); }
  // Number the events, in the order added, after `counter` (LockStatement's
  // row), locked in this transaction.
  void Number(const PgResult& counter);
  bool numbered() const { return numbered_; }

  // Number `drafts` after the events already in the batch (seq 0 while
  // the batch is unnumbered).
  std::vector<core::StoredEvent> Add(const std::vector<core::EventDraft>& drafts);
  size_t size() const { return events_.size(); }
  // The events numbered so far, in seq order: once committed, exactly as
  // ReadEventsAfter reads them back.
  const std::vector<core::StoredEvent>& events() const { return events_; }
  // Forget every event after the first `n` (their numbers are handed out
  // again).
  void Truncate(size_t n) { events_.resize(std::min(n, events_.size())); }
  // Store the events, move the counter past them and announce the last one
  // on kEventChannel (delivered at COMMIT). Nothing to do when empty.
  absl::Status Write(PgConnection& conn) const;

 private:
  EventBatch(int64_t last_seq, absl::Time published_at, bool numbered = true)
      : last_seq_(last_seq), published_at_(published_at), numbered_(numbered) {}

  int64_t last_seq_;  // the counter when locked
  absl::Time published_at_;
  bool numbered_;
  std::vector<core::StoredEvent> events_;
};

// Append drafts inside an open transaction, numbering them after every
// committed event. Call it last in the transaction: the counter row it
// locks is held until COMMIT. On a connection that runs a group
// transaction (PgConnection::event_batch), the drafts join the group's
// batch instead, written with it before its COMMIT.
absl::StatusOr<std::vector<core::StoredEvent>> AppendEvents(PgConnection& conn,
                                                            const std::vector<core::EventDraft>& drafts);

// Return up to `limit` committed events with seq > after_seq, in order.
absl::StatusOr<std::vector<core::StoredEvent>> ReadEventsAfter(PgConnection& conn, int64_t after_seq, int limit);

// Return the highest committed seq (0 on an empty log).
absl::StatusOr<int64_t> HeadSeq(PgConnection& conn);

}  // namespace tsodso::store
