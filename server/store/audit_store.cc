#include "store/audit_store.h"

#include "absl/strings/str_cat.h"

namespace tsodso::store {
namespace {

constexpr char kLockHead[] = "SELECT last_id, last_hash FROM audit_head FOR UPDATE";
// The record and the head it moves, in one round trip.
constexpr char kInsert[] =
    "WITH record AS (INSERT INTO audit_log (id, at_us, party_id, method, outcome, request_digest, response_digest, "
    "prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)) "
    "UPDATE audit_head SET last_id = $1, last_hash = $9";
constexpr char kReadHead[] = "SELECT last_id, last_hash FROM audit_head";
constexpr char kReadPage[] =
    "SELECT id, at_us, party_id, method, outcome, request_digest, response_digest, prev_hash, hash "
    "FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2";
constexpr int kVerifyPage = 5000;

}  // namespace

absl::Status AppendAudit(PgConnection& conn, const AuditEntry& entry) {
  auto head = conn.Exec(kLockHead);
  if (!head.ok()) return head.status();
  core::AuditRecord r;
  r.id = head->Int64(0, 0) + 1;
  r.prev_hash = head->Text(0, 1);
  // Microsecond precision: what PostgreSQL and the hash both keep.
  r.at = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
  r.party_id = entry.party_id;
  r.method = entry.method;
  r.outcome = entry.outcome;
  r.request_digest = entry.request_digest;
  r.response_digest = entry.response_digest;
  r.hash = core::ChainHash(r);
  return conn
      .Exec(kInsert, {r.id, absl::ToUnixMicros(r.at), r.party_id, r.method, r.outcome, r.request_digest,
                      r.response_digest, r.prev_hash, r.hash})
      .status();
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
