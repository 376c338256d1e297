// The hash-chained audit log in PostgreSQL.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/audit/audit_chain.h"
#include "store/pg.h"

namespace tsodso::store {

// Fields of a record before it is placed in the chain.
struct AuditEntry {
  std::string party_id;
  std::string method;
  std::string outcome;
  std::string request_digest;
  std::string response_digest;
};

// Records appended inside one transaction that holds the audit head's row
// lock (until COMMIT): each is linked to the one before, the first to the
// head, so ids stay gap-free and the chain linear.
class AuditBatch {
 public:
  // Inside an open transaction: lock the head and link after it.
  static absl::StatusOr<AuditBatch> Lock(PgConnection& conn);
  // The statement that locks the head, to send in a pipeline, and the batch
  // linked after the row it returned.
  static Statement LockStatement();
  static AuditBatch Locked(const PgResult& head);

  // Link a record of `entry`, stamped now, after the batch's last one.
  void Add(const AuditEntry& entry);
  // Store the records and move the head to the last. Nothing to do when
  // empty.
  absl::Status Write(PgConnection& conn) const;

 private:
  AuditBatch(int64_t last_id, std::string last_hash) : last_id_(last_id), last_hash_(std::move(last_hash)) {}

  int64_t last_id_;        // the head when locked, then the last record added
  std::string last_hash_;  // likewise
  std::vector<core::AuditRecord> records_;
};

// Append one record inside an open transaction; it is linked to the current
// head, whose row lock serialises appenders until COMMIT.
absl::Status AppendAudit(PgConnection& conn, const AuditEntry& entry);

// Append one record in a transaction of its own.
absl::Status AppendAuditNow(PgConnection& conn, const AuditEntry& entry);

struct AuditVerification {
  int64_t records = 0;
  std::string last_hash;
};

// Walk the whole chain in id order and check every link and the head row.
// The error (DATA_LOSS) names the first record that does not fit.
absl::StatusOr<AuditVerification> VerifyAuditLog(PgConnection& conn);

}  // namespace tsodso::store
