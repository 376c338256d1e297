#include "service/once.h"

#include "core/notices/notice.h"

namespace tsodso::service {

absl::StatusOr<std::optional<std::string>> ClaimOnce(store::PgConnection& db, const Caller& caller,
                                                     const std::string& field, const std::string& key) {
  TSODSO_RETURN_IF_ERROR(core::ValidateClientKey(field, key));
  return store::ClaimIdempotencyKey(db, {caller.party.id, caller.method, key}, caller.request_digest);
}

}  // namespace tsodso::service
