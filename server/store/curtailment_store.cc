#include "store/curtailment_store.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace tsodso::store {
namespace {

constexpr char kInsert[] =
    "INSERT INTO curtailments (curtailment_id, pcc_id, valid_from, valid_to, text, issued_by, issued_at) "
    "VALUES ($1::uuid, $2, to_timestamp($3::bigint), to_timestamp($4::bigint), $5, $6, "
    "to_timestamp($7::bigint / 1000000.0))";
constexpr char kRecordNotice[] =
    "INSERT INTO curtailment_notices (curtailment_id, aggregator, payload, last_seq) VALUES ($1::uuid, $2, $3, $4) "
    "ON CONFLICT (curtailment_id, aggregator) DO UPDATE SET deliveries = curtailment_notices.deliveries + 1, "
    "last_seq = EXCLUDED.last_seq";
constexpr char kAcknowledge[] =
    "UPDATE curtailment_notices SET acknowledged_at = coalesce(acknowledged_at, to_timestamp($3::bigint / 1000000.0)) "
    "WHERE curtailment_id = $1::uuid AND aggregator = $2 "
    "RETURNING (extract(epoch FROM acknowledged_at) * 1000000)::bigint";
constexpr char kWasAcknowledged[] =
    "SELECT acknowledged_at IS NOT NULL FROM curtailment_notices WHERE curtailment_id = $1::uuid AND aggregator = $2";
constexpr char kReadCurtailment[] =
    "SELECT pcc_id, extract(epoch FROM valid_from)::bigint, extract(epoch FROM valid_to)::bigint "
    "FROM curtailments WHERE curtailment_id = $1::uuid";
constexpr char kReadNotices[] =
    "SELECT aggregator, (extract(epoch FROM acknowledged_at) * 1000000)::bigint, deliveries "
    "FROM curtailment_notices WHERE curtailment_id = $1::uuid ORDER BY aggregator";
constexpr char kOpenNotices[] =
    "SELECT n.curtailment_id::text, c.pcc_id, n.payload FROM curtailment_notices n JOIN curtailments c "
    "USING (curtailment_id) WHERE n.aggregator = $1 AND n.acknowledged_at IS NULL "
    "AND c.valid_to > to_timestamp($2::bigint / 1000000.0) AND n.last_seq <= $3 ORDER BY c.issued_at";

bool IsUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

absl::Status InsertCurtailment(PgConnection& conn, const core::Curtailment& c) {
  return conn
      .Exec(kInsert, {c.id, c.pcc_id, absl::ToUnixSeconds(c.from), absl::ToUnixSeconds(c.to), c.text, c.issued_by,
                      absl::ToUnixMicros(c.issued_at)})
      .status();
}

absl::Status RecordNotice(PgConnection& conn, const std::string& curtailment_id, const std::string& aggregator,
                          const std::string& payload, int64_t seq) {
  return conn.Exec(kRecordNotice, {curtailment_id, aggregator, Param::Bytes(payload), seq}).status();
}

absl::StatusOr<Acknowledgement> Acknowledge(PgConnection& conn, const std::string& curtailment_id,
                                            const std::string& aggregator, absl::Time now) {
  const auto not_found = absl::NotFoundError(
      absl::StrCat("notice_id: no curtailment notice '", curtailment_id, "' is addressed to party '", aggregator, "'"));
  if (!IsUuid(curtailment_id)) return not_found;
  auto before = conn.Exec(kWasAcknowledged, {curtailment_id, aggregator});
  if (!before.ok()) return before.status();
  if (before->rows() == 0) return not_found;
  auto r = conn.Exec(kAcknowledge, {curtailment_id, aggregator, absl::ToUnixMicros(now)});
  if (!r.ok()) return r.status();
  return Acknowledgement{absl::FromUnixMicros(r->Int64(0, 0)), before->Text(0, 0) == "t"};
}

absl::StatusOr<CurtailmentRecord> ReadCurtailment(PgConnection& conn, const std::string& curtailment_id) {
  const auto not_found = absl::NotFoundError(absl::StrCat("curtailment_id: no curtailment '", curtailment_id, "'"));
  if (!IsUuid(curtailment_id)) return not_found;
  auto c = conn.Exec(kReadCurtailment, {curtailment_id});
  if (!c.ok()) return c.status();
  if (c->rows() == 0) return not_found;
  CurtailmentRecord out{
      c->Text(0, 0), absl::FromUnixSeconds(c->Int64(0, 1)), absl::FromUnixSeconds(c->Int64(0, 2)), {}};
  auto n = conn.Exec(kReadNotices, {curtailment_id});
  if (!n.ok()) return n.status();
  for (int i = 0; i < n->rows(); ++i) {
    NoticeState s;
    s.aggregator = n->Text(i, 0);
    if (!n->IsNull(i, 1)) s.acknowledged_at = absl::FromUnixMicros(n->Int64(i, 1));
    s.deliveries = static_cast<int>(n->Int64(i, 2));
    out.notices.push_back(s);
  }
  return out;
}

absl::StatusOr<std::vector<OpenNotice>> OpenNotices(PgConnection& conn, const std::string& aggregator, absl::Time now,
                                                    int64_t seen_seq) {
  auto r = conn.Exec(kOpenNotices, {aggregator, absl::ToUnixMicros(now), seen_seq});
  if (!r.ok()) return r.status();
  std::vector<OpenNotice> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back({r->Text(i, 0), r->Text(i, 1), r->Bytes(i, 2)});
  return out;
}

}  // namespace tsodso::store
