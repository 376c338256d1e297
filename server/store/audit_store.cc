#include "store/audit_store.h"

#include "absl/strings/str_cat.h"

namespace tsodso::store {
namespace {

constexpr char kLockHead[] = "SELECT last_id, last_hash FROM audit_head FOR UPDATE";
// The records and the head they move, in one round trip.
constexpr char kInsert[] =
    "WITH record AS (INSERT INTO audit_log (id, at_us, party_id, method, outcome, request_digest, response_digest, "
    "prev_hash, hash) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], "
    "$6::text[], $7::text[], $8::text[], $9::text[])) "
    "UPDATE audit_head SET last_id = $10, last_hash = $11";
constexpr char kReadHead[] = "SELECT last_id, last_hash FROM audit_head";
constexpr char kReadPage[] =
    "SELECT id, at_us, party_id, method, outcome, request_digest, response_digest, prev_hash, hash "
    "FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2";
constexpr int kVerifyPage = 5000;

}  // namespace

absl::StatusOr<AuditBatch> AuditBatch::Lock(PgConnection& conn) {
  auto head = conn.Exec(kLockHead);
  if (!head.ok()) return head.status();
  return Locked(*head);
}

Statement AuditBatch::LockStatement() { return Statement{kLockHead, {}}; }

AuditBatch AuditBatch::Locked(const PgResult& head) { return AuditBatch(head.Int64(0, 0), head.Text(0, 1)); }

void AuditBatch::Add(const AuditEntry& entry) {
  core::AuditRecord r;
  r.id = last_id_ + 1;
  r.prev_hash = last_hash_;
  // Microsecond precision: what PostgreSQL and the hash both keep.
  r.at = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
  r.party_id = entry.party_id;
  r.method = entry.method;
  r.outcome = entry.outcome;
  r.request_digest = entry.request_digest;
  r.response_digest = entry.response_digest;
  r.hash = core::ChainHash(r);
  last_id_ = r.id;
  last_hash_ = r.hash;
  records_.push_back(std::move(r));
}

absl::Status AuditBatch::Write(PgConnection& conn) const {
  if (records_.empty()) return absl::OkStatus();
  std::vector<std::string> ids, ats, parties, methods, outcomes, requests, responses, prevs, hashes;
  for (const core::AuditRecord& r : records_) {
    ids.push_back(absl::StrCat(r.id));
    ats.push_back(absl::StrCat(absl::ToUnixMicros(r.at)));
    parties.push_back(r.party_id);
    methods.push_back(r.method);
    outcomes.push_back(r.outcome);
    requests.push_back(r.request_digest);
    responses.push_back(r.response_digest);
    prevs.push_back(r.prev_hash);
    hashes.push_back(r.hash);
  }
  return conn
      .Exec(kInsert, {ArrayLiteral(ids), ArrayLiteral(ats), ArrayLiteral(parties), ArrayLiteral(methods),
                      ArrayLiteral(outcomes), ArrayLiteral(requests), ArrayLiteral(responses), ArrayLiteral(prevs),
                      ArrayLiteral(hashes), last_id_, last_hash_})
      .status();
}

absl::Status AppendAudit(PgConnection& conn, const AuditEntry& entry) {
  absl::StatusOr<AuditBatch> batch = AuditBatch::Lock(conn);
  if (!batch.ok()) return batch.status();
  batch->Add(entry);
  return batch->Write(conn);
}

absl::Status AppendAuditNow(PgConnection& conn, const AuditEntry& entry) {
  return InTransaction(conn, [&] { return AppendAudit(conn, entry); });
}

absl::StatusOr<AuditVerification> VerifyAuditLog(PgConnection& conn) {
  // One snapshot for the whole walk, so that concurrent appends do not make
  // the head and the rows disagree.
  AuditVerification out;
  absl::Status st = InTransaction(conn, [&]() -> absl::Status {
    if (auto r = conn.Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"); !r.ok()) return r.status();
    auto head = conn.Exec(kReadHead);
    if (!head.ok()) return head.status();
    const int64_t head_id = head->Int64(0, 0);
    const std::string head_hash = head->Text(0, 1);
    int64_t after = 0;
    std::string prev = core::kGenesisHash;
    while (true) {
      auto page = conn.Exec(kReadPage, {after, kVerifyPage});
      if (!page.ok()) return page.status();
      if (page->rows() == 0) break;
      std::vector<core::AuditRecord> records;
      for (int i = 0; i < page->rows(); ++i) {
        core::AuditRecord r;
        r.id = page->Int64(i, 0);
        r.at = absl::FromUnixMicros(page->Int64(i, 1));
        r.party_id = page->Text(i, 2);
        r.method = page->Text(i, 3);
        r.outcome = page->Text(i, 4);
        r.request_digest = page->Text(i, 5);
        r.response_digest = page->Text(i, 6);
        r.prev_hash = page->Text(i, 7);
        r.hash = page->Text(i, 8);
        records.push_back(std::move(r));
      }
      if (auto v = core::VerifyChain(records, after + 1, prev); !v.ok()) return v;
      after = records.back().id;
      prev = records.back().hash;
      out.records += static_cast<int64_t>(records.size());
    }
    if (after != head_id || prev != head_hash) {
      return absl::DataLossError(absl::StrCat("audit chain ends at record ", after, " but the head names record ",
                                              head_id, "; records were deleted or the head was altered"));
    }
    out.last_hash = prev;
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return out;
}

}  // namespace tsodso::store
