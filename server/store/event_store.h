// The durable event log: append inside the caller's transaction, read back
// in sequence order.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "core/events/event.h"
#include "store/pg.h"

namespace tsodso::store {

// Channel on which every commit that appends events is announced, with the
// last new seq as payload; all replicas LISTEN on it.
inline constexpr char kEventChannel[] = "tsodso_events";

// Append drafts inside an open transaction, numbering them after every
// committed event. Call it last in the transaction: the counter row it
// locks is held until COMMIT.
absl::StatusOr<std::vector<core::StoredEvent>> AppendEvents(PgConnection& conn,
                                                            const std::vector<core::EventDraft>& drafts);

// Return up to `limit` committed events with seq > after_seq, in order.
absl::StatusOr<std::vector<core::StoredEvent>> ReadEventsAfter(PgConnection& conn, int64_t after_seq, int limit);

// Return the highest committed seq (0 on an empty log).
absl::StatusOr<int64_t> HeadSeq(PgConnection& conn);

}  // namespace tsodso::store
