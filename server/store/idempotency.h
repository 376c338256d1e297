// Remembered answers to state-changing requests, keyed by caller, method and
// the caller's idempotency key.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/pg.h"

namespace tsodso::store {

struct IdempotencyKey {
  std::string party_id;
  std::string method;
  std::string key;
};

// The answers remembered by the calls of one group transaction, stored
// together before its COMMIT (PgConnection::answer_batch).
class AnswerBatch {
 public:
  struct Answer {
    IdempotencyKey key;
    std::string request_digest;
    std::string response;
  };
  void Add(Answer answer) { answers_.push_back(std::move(answer)); }
  // The answer an earlier call of the group gave under `key`, if any.
  const Answer* Find(const IdempotencyKey& key) const;
  size_t size() const { return answers_.size(); }
  // Forget every answer after the first `n`.
  void Truncate(size_t n) { answers_.resize(std::min(n, answers_.size())); }
  // Store them all in one statement. Nothing to do when empty.
  absl::Status Write(PgConnection& conn) const;

 private:
  std::vector<Answer> answers_;
};

// Inside an open transaction: lock the key (so concurrent duplicates wait
// for each other) and return the stored response if the key was used
// before. The same key with a different request digest is ALREADY_EXISTS.
// In a group transaction the answers of the group's earlier calls count as
// stored, and no lock is taken while the group holds the event counter
// (which keeps every other claimer out already).
absl::StatusOr<std::optional<std::string>> ClaimIdempotencyKey(PgConnection& conn, const IdempotencyKey& key,
                                                               const std::string& request_digest);

// Inside the same transaction: store the response for later retries; in a
// group transaction, add it to the group's answers.
absl::Status RememberResponse(PgConnection& conn, const IdempotencyKey& key, const std::string& request_digest,
                              const std::string& response);

}  // namespace tsodso::store
