// A state-changing request is done once per idempotency key: the first
// request runs and its answer is remembered in the same transaction; a
// retry with the same key and the same request gets that answer back,
// marked as replayed, even once the request would no longer be accepted
// (its period has passed, the horizon has moved on).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/common/status_macros.h"
#include "service/context.h"
#include "service/wire.h"
#include "store/idempotency.h"
#include "store/pg.h"

namespace tsodso::service {

// Check the key's form (errors name `field`), then claim it for the caller
// and the RPC (concurrent duplicates wait for each other): return the stored
// answer when the same request was made before under this key,
// ALREADY_EXISTS when a different one was.
absl::StatusOr<std::optional<std::string>> ClaimOnce(store::PgConnection& db, const Caller& caller,
                                                     const std::string& field, const std::string& key);

// Inside an open transaction: answer from an earlier identical request, or
// run `apply` and remember its answer. `apply` appends its events itself,
// before its answer is remembered, since answers carry the events' seqs.
template <typename Answer>
absl::StatusOr<Answer> Once(store::PgConnection& db, const Caller& caller, const std::string& field,
                            const std::string& key, const std::function<absl::StatusOr<Answer>()>& apply) {
  TSODSO_ASSIGN_OR_RETURN(std::optional<std::string> earlier, ClaimOnce(db, caller, field, key));
  Answer answer;
  if (earlier.has_value()) {
    if (!answer.ParseFromString(*earlier)) return absl::DataLossError("stored answer does not parse");
    answer.set_replayed(true);
    return answer;
  }
  TSODSO_ASSIGN_OR_RETURN(answer, apply());
  TSODSO_RETURN_IF_ERROR(store::RememberResponse(db, {caller.party.id, caller.method, key}, caller.request_digest,
                                                 DeterministicBytes(answer)));
  return answer;
}

}  // namespace tsodso::service
