#include "store/idempotency.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "store/advisory_lock.h"

namespace tsodso::store {
namespace {

constexpr char kFind[] =
    "SELECT request_digest, response FROM idempotency_keys "
    "WHERE party_id = $1 AND method = $2 AND idempotency_key = $3";
constexpr char kInsert[] =
    "INSERT INTO idempotency_keys (party_id, method, idempotency_key, request_digest, response) "
    "VALUES ($1, $2, $3, $4, $5)";

}  // namespace

absl::StatusOr<std::optional<std::string>> ClaimIdempotencyKey(PgConnection& conn, const IdempotencyKey& key,
                                                               const std::string& request_digest) {
  TSODSO_RETURN_IF_ERROR(LockUntilCommit(conn, "idempotency", {key.party_id, key.method, key.key}));
  auto found = conn.Exec(kFind, {key.party_id, key.method, key.key});
  if (!found.ok()) return found.status();
  if (found->rows() == 0) return std::optional<std::string>();
  if (found->Text(0, 0) != request_digest) {
    return absl::AlreadyExistsError(
        absl::StrCat("idempotency_key: '", key.key, "' was already used for a different request; use a new key"));
  }
  return std::optional<std::string>(found->Bytes(0, 1));
}

absl::Status RememberResponse(PgConnection& conn, const IdempotencyKey& key, const std::string& request_digest,
                              const std::string& response) {
  return conn.Exec(kInsert, {key.party_id, key.method, key.key, request_digest, Param::Bytes(response)}).status();
}

}  // namespace tsodso::store
