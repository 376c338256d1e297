// The hash-chained audit log in PostgreSQL.
#pragma once

#include "absl/status/status.h"
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
