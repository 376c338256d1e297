#include "store/idempotency.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "store/advisory_lock.h"
#include "store/event_store.h"

namespace tsodso::store {
namespace {

constexpr char kFind[] =
    "SELECT request_digest, response FROM idempotency_keys "
    "WHERE party_id = $1 AND method = $2 AND idempotency_key = $3";
constexpr char kInsert[] =
    "INSERT INTO idempotency_keys (party_id, method, idempotency_key, request_digest, response) "
    "VALUES ($1, $2, $3, $4, $5)";
constexpr char kInsertMany[] =
    "INSERT INTO idempotency_keys (party_id, method, idempotency_key, request_digest, response) "
    "SELECT p, m, k, d, decode(r, 'hex') FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) "
    "AS u(p, m, k, d, r)";

bool SameKey(const IdempotencyKey& a, const IdempotencyKey& b) {
  return a.key == b.key && a.method == b.method && a.party_id == b.party_id;
}

absl::Status DifferentRequest(const IdempotencyKey& key) {
  return absl::AlreadyExistsError(
      absl::StrCat("idempotency_key: '", key.key, "' was already used for a different request; use a new key"));
}

}  // namespace

const AnswerBatch::Answer* AnswerBatch::Find(const IdempotencyKey& key) const {
  for (const Answer& a : answers_) {
    if (SameKey(a.key, key)) return &a;
  }
  return nullptr;
}

absl::Status AnswerBatch::Write(PgConnection& conn) const {
  if (answers_.empty()) return absl::OkStatus();
  std::vector<std::string> parties, methods, keys, digests, responses;
  for (const Answer& a : answers_) {
    parties.push_back(a.key.party_id);
    methods.push_back(a.key.method);
    keys.push_back(a.key.key);
    digests.push_back(a.request_digest);
    responses.push_back(absl::BytesToHexString(a.response));
  }
  return conn
      .Exec(kInsertMany, {ArrayLiteral(parties), ArrayLiteral(methods), ArrayLiteral(keys), ArrayLiteral(digests),
                          ArrayLiteral(responses)})
      .status();
}

absl::StatusOr<std::optional<std::string>> ClaimIdempotencyKey(PgConnection& conn, const IdempotencyKey& key,
                                                               const std::string& request_digest) {
  if (const AnswerBatch* group = conn.answer_batch(); group != nullptr) {
    if (const AnswerBatch::Answer* earlier = group->Find(key)) {
      if (earlier->request_digest != request_digest) return DifferentRequest(key);
      return std::optional<std::string>(earlier->response);
    }
  }
  const Statement find{kFind, {key.party_id, key.method, key.key}};
  std::optional<PgResult> found;
  if (const EventBatch* events = conn.event_batch(); events != nullptr && events->numbered()) {
    // The group holds the event counter: no other claimer runs beside it.
    auto rows = conn.Exec(find.sql, find.params);
    if (!rows.ok()) return rows.status();
    found.emplace(std::move(*rows));
  } else {
    // The lookup runs once the lock is held, in the same round trip, and
    // sees what a holder committed meanwhile.
    auto rows = conn.ExecPipeline({LockUntilCommitStatement("idempotency", {key.party_id, key.method, key.key}), find});
    if (!rows.ok()) return rows.status();
    found.emplace(std::move(rows->back()));
  }
  if (found->rows() == 0) return std::optional<std::string>();
  if (found->Text(0, 0) != request_digest) return DifferentRequest(key);
  return std::optional<std::string>(found->Bytes(0, 1));
}

absl::Status RememberResponse(PgConnection& conn, const IdempotencyKey& key, const std::string& request_digest,
                              const std::string& response) {
  if (AnswerBatch* group = conn.answer_batch(); group != nullptr) {
    group->Add({key, request_digest, response});
    return absl::OkStatus();
  }
  return conn.Exec(kInsert, {key.party_id, key.method, key.key, request_digest, Param::Bytes(response)}).status();
}

}  // namespace tsodso::store
