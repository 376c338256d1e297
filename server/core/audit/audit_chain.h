// The audit trail: one record per RPC, each chained to the one before by a
// SHA-256 hash so that a changed, inserted or deleted record is detectable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tsodso::core {

struct AuditRecord {
  int64_t id = 0;  // position in the chain, 1-based, gap-free
  absl::Time at;
  std::string party_id;         // "" when the caller was not identified
  std::string method;           // full gRPC method name
  std::string outcome;          // status code name, e.g. "OK", "PERMISSION_DENIED"
  std::string request_digest;   // hex SHA-256 of the serialized request
  std::string response_digest;  // hex SHA-256 of the serialized response(s)
  std::string prev_hash;        // hex; 64 zeros for the first record
  std::string hash;             // hex SHA-256 over prev_hash and the fields
};

inline const std::string kGenesisHash(64, '0');

// Return the hex SHA-256 of arbitrary bytes.
std::string Sha256Hex(absl::string_view bytes);

// Return the chain hash of a record from its fields and prev_hash (its own
// `hash` field is ignored). Fields are length-prefixed so that no two
// different records hash the same input.
std::string ChainHash(const AuditRecord& record);

// Check a run of records in id order, starting after a record whose hash is
// `prev_hash` and whose id is first_id - 1. The error names the first record
// that does not fit.
absl::Status VerifyChain(const std::vector<AuditRecord>& records, int64_t first_id, const std::string& prev_hash);

}  // namespace tsodso::core
