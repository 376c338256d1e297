#include "store/pcc_work_store.h"

#include <unistd.h>

#include <random>

#include "absl/strings/str_cat.h"

namespace tsodso::store {
namespace {

constexpr char kRegister[] =
    "INSERT INTO pcc_work (pcc_id, due_at) SELECT unnest($1::text[]), now() ON CONFLICT (pcc_id) DO NOTHING";
// A PCC being computed is due already; its mark is kept for the completion.
constexpr char kMarkDue[] =
    "UPDATE pcc_work SET due_at = LEAST(due_at, now()), "
    "  marked_while_leased = marked_while_leased OR (leased_by IS NOT NULL AND lease_until > now()) "
    "WHERE pcc_id = ANY($1::text[])";
// SKIP LOCKED: a row another replica is claiming at this instant is
// passed over, not waited for.
constexpr char kClaim[] =
    "UPDATE pcc_work w SET leased_by = $2, lease_until = now() + $3::bigint * interval '1 millisecond', "
    "  marked_while_leased = false "
    "FROM (SELECT pcc_id FROM pcc_work WHERE pcc_id = ANY($1::text[]) AND due_at <= now() "
    "      AND (lease_until IS NULL OR lease_until <= now()) "
    "      ORDER BY published_by IS DISTINCT FROM $2, due_at, pcc_id LIMIT 1 FOR UPDATE SKIP LOCKED) d "
    "WHERE w.pcc_id = d.pcc_id RETURNING w.pcc_id, w.cycle";
constexpr char kRenew[] =
    "UPDATE pcc_work SET lease_until = now() + $4::bigint * interval '1 millisecond' "
    "WHERE pcc_id = $1 AND cycle = $2 AND leased_by = $3 RETURNING 1";
// A run that fell behind (every replica down, or too loaded for its PCCs)
// skips the slots it missed and keeps the cadence: the next cycle is due at
// the first slot after now, never at once, so no PCC is published twice
// back to back for the cadence alone. Inputs that changed while it was
// computed make it due at once.
constexpr char kComplete[] =
    "UPDATE pcc_work SET cycle = cycle + 1, "
    "  due_at = CASE WHEN marked_while_leased THEN now() ELSE due_at + $4::bigint * interval '1 millisecond' * "
    "    (floor(GREATEST(0, extract(epoch FROM now() - due_at) * 1000) / $4::bigint) + 1) END, "
    "  marked_while_leased = false, "
    "  leased_by = NULL, lease_until = NULL, published_by = $3, published_at = now() "
    "WHERE pcc_id = $1 AND cycle = $2 RETURNING 1";
// Rows in PCC order, so that two replicas' claims cannot deadlock.
constexpr char kPreliminary[] =
    "UPDATE pcc_work SET preliminary_cycle = cycle WHERE pcc_id IN ("
    "  SELECT pcc_id FROM pcc_work WHERE pcc_id = ANY($1::text[]) AND due_at <= now() "
    "    AND (published_at IS NULL OR published_at < now() - 2 * $2::bigint * interval '1 millisecond') "
    "    AND preliminary_cycle IS DISTINCT FROM cycle ORDER BY pcc_id FOR UPDATE SKIP LOCKED) "
    "RETURNING pcc_id";

constexpr char kRelease[] = "UPDATE pcc_work SET leased_by = NULL, lease_until = NULL WHERE leased_by = $1";

int64_t Millis(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

}  // namespace

std::string NewReplicaName() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::random_device random;
  return absl::StrCat(host, "/", getpid(), "/", absl::Hex(random(), absl::kZeroPad8));
}

absl::Status RegisterPccs(PgConnection& conn, const std::vector<std::string>& pccs) {
  return conn.Exec(kRegister, {ArrayLiteral(pccs)}).status();
}

absl::Status MarkPccsDue(PgConnection& conn, const std::vector<std::string>& pccs) {
  return conn.Exec(kMarkDue, {ArrayLiteral(pccs)}).status();
}

absl::StatusOr<std::optional<PccLease>> ClaimDuePcc(PgConnection& conn, const std::vector<std::string>& pccs,
                                                    const PccWorkOptions& options) {
  auto r = conn.Exec(kClaim, {ArrayLiteral(pccs), options.replica, Millis(options.lease)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<PccLease>();
  return std::optional(PccLease{r->Text(0, 0), r->Int64(0, 1)});
}

absl::StatusOr<bool> RenewLease(PgConnection& conn, const PccLease& lease, const PccWorkOptions& options) {
  auto r = conn.Exec(kRenew, {lease.pcc_id, lease.cycle, options.replica, Millis(options.lease)});
  if (!r.ok()) return r.status();
  return r->rows() > 0;
}

absl::StatusOr<bool> CompleteCycle(PgConnection& conn, const PccLease& lease, const PccWorkOptions& options) {
  auto r = conn.Exec(kComplete, {lease.pcc_id, lease.cycle, options.replica, Millis(options.interval)});
  if (!r.ok()) return r.status();
  return r->rows() > 0;
}

absl::StatusOr<std::vector<std::string>> ClaimPreliminary(PgConnection& conn, const std::vector<std::string>& pccs,
                                                          const PccWorkOptions& options) {
  auto r = conn.Exec(kPreliminary, {ArrayLiteral(pccs), Millis(options.interval)});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->Text(i, 0));
  return out;
}

absl::Status ReleaseLeases(PgConnection& conn, const PccWorkOptions& options) {
  return conn.Exec(kRelease, {options.replica}).status();
}

}  // namespace tsodso::store
