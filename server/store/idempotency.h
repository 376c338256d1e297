// Remembered answers to state-changing requests, keyed by caller, method and
// the caller's idempotency key.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "store/pg.h"

namespace tsodso::store {

struct IdempotencyKey {
  std::string party_id;
  std::string method;
  std::string key;
};

// Inside an open transaction: lock the key (so concurrent duplicates wait
// for each other) and return the stored response if the key was used
// before. The same key with a different request digest is ALREADY_EXISTS.
absl::StatusOr<std::optional<std::string>> ClaimIdempotencyKey(PgConnection& conn, const IdempotencyKey& key,
                                                               const std::string& request_digest);

// Inside the same transaction: store the response for later retries.
absl::Status RememberResponse(PgConnection& conn, const IdempotencyKey& key, const std::string& request_digest,
                              const std::string& response);

}  // namespace tsodso::store
