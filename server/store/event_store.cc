#include "store/event_store.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace tsodso::store {
namespace {

// The counter's row lock, held until COMMIT, and the time the events are
// published at.
constexpr char kLockCounter[] =
    "SELECT last_seq, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM event_seq FOR UPDATE";
// Every row, the counter's move and the notification in one round trip:
// the counter stays locked until COMMIT, so the fewer round trips after it
// the more publishers commit per second. The time goes in as whole seconds
// and microseconds, in integer arithmetic: to_timestamp of a fraction goes
// through a double of seconds since 1970, which keeps every microsecond
// only until 2106 (2^32 s), and the event a group hands to the feed must
// be, to the byte, the one read back from the log.
constexpr char kWrite[] =
    "WITH ins AS (INSERT INTO events (seq, published_at, topic, pcc_id, recipient_party_id, audience, payload) "
    "SELECT s, to_timestamp($2::bigint / 1000000) + ($2::bigint % 1000000) * interval '1 microsecond', t, p, r, a, "
    "decode(h, 'hex') "
    "FROM unnest($1::bigint[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::text[]) AS u(s, t, p, r, a, h)), "
    "counter AS (UPDATE event_seq SET last_seq = $8) "
    "SELECT pg_notify($9, $10)";
constexpr char kReadAfter[] =
    "SELECT seq, (extract(epoch FROM published_at) * 1000000)::bigint, topic, pcc_id, recipient_party_id, "
    "audience, payload FROM events WHERE seq > $1 ORDER BY seq LIMIT $2";
constexpr char kHead[] = "SELECT last_seq FROM event_seq";

}  // namespace

absl::StatusOr<EventBatch> EventBatch::Lock(PgConnection& conn) {
  auto locked = conn.Exec(kLockCounter);
  if (!locked.ok()) return locked.status();
  return Locked(*locked);
}

Statement EventBatch::LockStatement() { return Statement{kLockCounter, {}}; }

EventBatch EventBatch::Locked(const PgResult& counter) {
  return EventBatch(counter.Int64(0, 0), absl::FromUnixMicros(counter.Int64(0, 1)));
}

void EventBatch::Number(const PgResult& counter) {
  last_seq_ = counter.Int64(0, 0);
  published_at_ = absl::FromUnixMicros(counter.Int64(0, 1));
  numbered_ = true;
  for (size_t i = 0; i < events_.size(); ++i) {
    events_[i].seq = last_seq_ + static_cast<int64_t>(i) + 1;
    events_[i].published_at = published_at_;
  }
}

std::vector<core::StoredEvent> EventBatch::Add(const std::vector<core::EventDraft>& drafts) {
  std::vector<core::StoredEvent> out;
  out.reserve(drafts.size());
  for (const core::EventDraft& d : drafts) {
    const int64_t seq = numbered_ ? last_seq_ + static_cast<int64_t>(events_.size()) + 1 : 0;
    events_.push_back(core::StoredEvent{seq, published_at_, d.envelope, d.payload});
    out.push_back(events_.back());
  }
  return out;
}

absl::Status EventBatch::Write(PgConnection& conn) const {
  if (events_.empty()) return absl::OkStatus();
  if (!numbered_) return absl::InternalError("events written before the counter was locked");
  std::vector<std::string> seqs, topics, pccs, recipients, audiences, payloads;
  for (const core::StoredEvent& e : events_) {
    seqs.push_back(absl::StrCat(e.seq));
    topics.push_back(absl::StrCat(static_cast<int>(e.envelope.topic)));
    pccs.push_back(e.envelope.pcc_id);
    recipients.push_back(e.envelope.recipient_party_id);
    audiences.push_back(absl::StrCat(static_cast<int64_t>(e.envelope.audience)));
    payloads.push_back(absl::BytesToHexString(e.payload));
  }
  const int64_t last = events_.back().seq;
  return conn
      .Exec(kWrite, {ArrayLiteral(seqs), absl::ToUnixMicros(published_at_), ArrayLiteral(topics), ArrayLiteral(pccs),
                     ArrayLiteral(recipients), ArrayLiteral(audiences), ArrayLiteral(payloads), last, kEventChannel,
                     absl::StrCat(last)})
      .status();
}

absl::StatusOr<std::vector<core::StoredEvent>> AppendEvents(PgConnection& conn,
                                                            const std::vector<core::EventDraft>& drafts) {
  if (drafts.empty()) return std::vector<core::StoredEvent>();
  if (EventBatch* group = conn.event_batch(); group != nullptr) return group->Add(drafts);
  absl::StatusOr<EventBatch> batch = EventBatch::Lock(conn);
  if (!batch.ok()) return batch.status();
  std::vector<core::StoredEvent> out = batch->Add(drafts);
  if (absl::Status written = batch->Write(conn); !written.ok()) return written;
  return out;
}

absl::StatusOr<std::vector<core::StoredEvent>> ReadEventsAfter(PgConnection& conn, int64_t after_seq, int limit) {
  auto rows = conn.Exec(kReadAfter, {after_seq, limit});
  if (!rows.ok()) return rows.status();
  std::vector<core::StoredEvent> out;
  out.reserve(rows->rows());
  for (int i = 0; i < rows->rows(); ++i) {
    core::StoredEvent e;
    e.seq = rows->Int64(i, 0);
    e.published_at = absl::FromUnixMicros(rows->Int64(i, 1));
    e.envelope.topic = static_cast<core::Topic>(rows->Int64(i, 2));
    e.envelope.pcc_id = rows->Text(i, 3);
    e.envelope.recipient_party_id = rows->Text(i, 4);
    e.envelope.audience = static_cast<core::RoleMask>(rows->Int64(i, 5));
    e.payload = rows->Bytes(i, 6);
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<int64_t> HeadSeq(PgConnection& conn) {
  auto r = conn.Exec(kHead);
  if (!r.ok()) return r.status();
  return r->Int64(0, 0);
}

}  // namespace tsodso::store
