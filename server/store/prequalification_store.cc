#include "store/prequalification_store.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/common/status_macros.h"
#include "store/advisory_lock.h"

namespace tsodso::store {
namespace {

constexpr char kRead[] =
    "SELECT resource_id, aggregator, (extract(epoch FROM valid_until) * 1000000)::bigint, p_min_mw, p_max_mw "
    "FROM qualifications WHERE resource_id = ANY($1::text[])";
constexpr char kInsertDecision[] =
    "INSERT INTO prequalification_decisions (resource_id, aggregator, qualified, reason, valid_until, p_min_mw, "
    "p_max_mw, decided_at) VALUES ($1, $2, $3, $4, to_timestamp($5::bigint / 1000000.0), $6::float8, $7::float8, "
    "to_timestamp($8::bigint / 1000000.0))";
constexpr char kUpsertQualification[] =
    "INSERT INTO qualifications (resource_id, aggregator, valid_until, p_min_mw, p_max_mw, decided_at) "
    "VALUES ($1, $2, to_timestamp($3::bigint / 1000000.0), $4::float8, $5::float8, "
    "to_timestamp($6::bigint / 1000000.0)) ON CONFLICT (resource_id) DO UPDATE SET aggregator = EXCLUDED.aggregator, "
    "valid_until = EXCLUDED.valid_until, p_min_mw = EXCLUDED.p_min_mw, p_max_mw = EXCLUDED.p_max_mw, "
    "decided_at = EXCLUDED.decided_at";

// A refused claim by the asset's holder ends its standing qualification:
// what no longer passes may no longer be bid.
constexpr char kRevoke[] = "DELETE FROM qualifications WHERE resource_id = $1 AND aggregator = $2";
constexpr char kQualifiedOf[] =
    "SELECT resource_id FROM qualifications WHERE aggregator = $1 AND valid_until > to_timestamp($2::bigint / "
    "1000000.0) ORDER BY resource_id";

std::string Number(double v) { return absl::StrFormat("%.17g", v); }

}  // namespace

absl::Status LockAssets(PgConnection& conn, std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) {
    TSODSO_RETURN_IF_ERROR(LockUntilCommit(conn, "asset", {id}));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, core::Qualification>> ReadQualifications(PgConnection& conn,
                                                                              const std::vector<std::string>& ids) {
  auto r = conn.Exec(kRead, {ArrayLiteral(ids)});
  if (!r.ok()) return r.status();
  std::map<std::string, core::Qualification> out;
  for (int i = 0; i < r->rows(); ++i) {
    out[r->Text(i, 0)] = {r->Text(i, 1), absl::FromUnixMicros(r->Int64(i, 2)), r->Double(i, 3), r->Double(i, 4)};
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> QualifiedAssetsOf(PgConnection& conn, const std::string& aggregator,
                                                           absl::Time now) {
  auto r = conn.Exec(kQualifiedOf, {aggregator, absl::ToUnixMicros(now)});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->Text(i, 0));
  return out;
}

absl::Status SaveDecision(PgConnection& conn, const std::string& aggregator, const core::AssetDecision& d,
                          absl::Time decided_at) {
  const int64_t at = absl::ToUnixMicros(decided_at);
  auto r = conn.Exec(kInsertDecision, {d.id, aggregator, d.qualified ? "true" : "false", static_cast<int>(d.reason),
                                       d.qualified ? Param(absl::ToUnixMicros(d.valid_until)) : Param(std::nullopt),
                                       d.qualified ? Param(Number(d.p_min_mw)) : Param(std::nullopt),
                                       d.qualified ? Param(Number(d.p_max_mw)) : Param(std::nullopt), at});
  if (!r.ok()) return r.status();
  if (!d.qualified) return conn.Exec(kRevoke, {d.id, aggregator}).status();
  return conn
      .Exec(kUpsertQualification,
            {d.id, aggregator, absl::ToUnixMicros(d.valid_until), Number(d.p_min_mw), Number(d.p_max_mw), at})
      .status();
}

}  // namespace tsodso::store
