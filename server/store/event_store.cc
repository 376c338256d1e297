#include "store/event_store.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace tsodso::store {
namespace {

constexpr char kTakeSeqs[] =
    "UPDATE event_seq SET last_seq = last_seq + $1 "
    "RETURNING last_seq, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint";
// Every row and the notification in one round trip: the counter row taken
// just before stays locked until COMMIT, so the fewer round trips after it
// the more publishers commit per second.
constexpr char kInsertAndNotify[] =
    "WITH ins AS (INSERT INTO events (seq, published_at, topic, pcc_id, recipient_party_id, audience, payload) "
    "SELECT s, to_timestamp($2::bigint / 1000000.0), t, p, r, a, decode(h, 'hex') "
    "FROM unnest($1::bigint[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::text[]) AS u(s, t, p, r, a, h)) "
    "SELECT pg_notify($8, $9)";
constexpr char kReadAfter[] =
    "SELECT seq, (extract(epoch FROM published_at) * 1000000)::bigint, topic, pcc_id, recipient_party_id, "
    "audience, payload FROM events WHERE seq > $1 ORDER BY seq LIMIT $2";
constexpr char kHead[] = "SELECT last_seq FROM event_seq";

}  // namespace

absl::StatusOr<std::vector<core::StoredEvent>> AppendEvents(PgConnection& conn,
                                                            const std::vector<core::EventDraft>& drafts) {
  std::vector<core::StoredEvent> out;
  if (drafts.empty()) return out;
  auto taken = conn.Exec(kTakeSeqs, {static_cast<int64_t>(drafts.size())});
  if (!taken.ok()) return taken.status();
  const int64_t last = taken->Int64(0, 0);
  const int64_t micros = taken->Int64(0, 1);
  int64_t seq = last - static_cast<int64_t>(drafts.size());
  std::vector<std::string> seqs, topics, pccs, recipients, audiences, payloads;
  for (const core::EventDraft& d : drafts) {
    ++seq;
    seqs.push_back(absl::StrCat(seq));
    topics.push_back(absl::StrCat(static_cast<int>(d.envelope.topic)));
    pccs.push_back(d.envelope.pcc_id);
    recipients.push_back(d.envelope.recipient_party_id);
    audiences.push_back(absl::StrCat(static_cast<int64_t>(d.envelope.audience)));
    payloads.push_back(absl::BytesToHexString(d.payload));
    out.push_back(core::StoredEvent{seq, absl::FromUnixMicros(micros), d.envelope, d.payload});
  }
  auto r = conn.Exec(kInsertAndNotify,
                     {ArrayLiteral(seqs), micros, ArrayLiteral(topics), ArrayLiteral(pccs), ArrayLiteral(recipients),
                      ArrayLiteral(audiences), ArrayLiteral(payloads), kEventChannel, absl::StrCat(last)});
  if (!r.ok()) return r.status();
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
