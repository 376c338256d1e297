#include "store/validation_store.h"

#include <map>

namespace tsodso::store {
namespace {

constexpr char kInsertMol[] =
    "INSERT INTO mol_validations (validation_id, party_id, isp_start, direction, request, response) "
    "VALUES ($1, $2, to_timestamp($3::bigint), $4, $5, $6)";
constexpr char kEnsureLights[] =
    "INSERT INTO traffic_lights (pcc_id, isp_start) "
    "SELECT $1, to_timestamp(s) FROM generate_series($2::bigint, $3::bigint - 1, $4::bigint) AS s "
    "ON CONFLICT DO NOTHING";
constexpr char kSelectLights[] =
    "SELECT extract(epoch FROM isp_start)::bigint, up_state, up_reason, down_state, down_reason, schedule_state, "
    "schedule_reason, intervention "
    "FROM traffic_lights WHERE pcc_id = $1 AND isp_start >= to_timestamp($2::bigint) "
    "AND isp_start < to_timestamp($3::bigint) ORDER BY isp_start";
constexpr char kLockSuffix[] = " FOR UPDATE";
constexpr char kSaveLight[] =
    "UPDATE traffic_lights SET up_state = $3, up_reason = $4, down_state = $5, down_reason = $6, "
    "schedule_state = $7, schedule_reason = $8, intervention = $9, updated_at = now() "
    "WHERE pcc_id = $1 AND isp_start = to_timestamp($2::bigint)";
constexpr char kInsertIntervention[] =
    "INSERT INTO interventions (party_id, idempotency_key, pcc_id, valid_from, valid_to, lifted) "
    "VALUES ($1, $2, $3, to_timestamp($4::bigint), to_timestamp($5::bigint), $6)";

absl::StatusOr<std::vector<core::IspLight>> SelectLights(PgConnection& conn, const std::string& pcc_id, absl::Time from,
                                                         absl::Time to, bool lock) {
  const std::string sql = std::string(kSelectLights) + (lock ? kLockSuffix : "");
  auto r = conn.Exec(sql, {pcc_id, absl::ToUnixSeconds(from), absl::ToUnixSeconds(to)});
  if (!r.ok()) return r.status();
  std::map<int64_t, core::IspLight> stored;
  for (int i = 0; i < r->rows(); ++i) {
    core::IspLight l;
    l.isp_start = absl::FromUnixSeconds(r->Int64(i, 0));
    l.up = {static_cast<core::LightState>(r->Int64(i, 1)), static_cast<core::LightReason>(r->Int64(i, 2))};
    l.down = {static_cast<core::LightState>(r->Int64(i, 3)), static_cast<core::LightReason>(r->Int64(i, 4))};
    l.schedules = {static_cast<core::LightState>(r->Int64(i, 5)), static_cast<core::LightReason>(r->Int64(i, 6))};
    l.intervention = r->Text(i, 7) == "t";
    stored[r->Int64(i, 0)] = l;
  }
  std::vector<core::IspLight> out;
  for (absl::Time t = from; t < to; t += core::kIsp) {
    auto it = stored.find(absl::ToUnixSeconds(t));
    if (it != stored.end()) {
      out.push_back(it->second);
    } else {
      core::IspLight green;
      green.isp_start = t;
      out.push_back(green);
    }
  }
  return out;
}

}  // namespace

absl::Status InsertMolValidation(PgConnection& conn, const MolRecord& m) {
  return conn
      .Exec(kInsertMol, {m.validation_id, m.party_id, absl::ToUnixSeconds(m.isp_start), m.direction,
                         Param::Bytes(m.request), Param::Bytes(m.response)})
      .status();
}

absl::StatusOr<std::vector<core::IspLight>> LockLights(PgConnection& conn, const std::string& pcc_id, absl::Time from,
                                                       absl::Time to) {
  auto ensured = conn.Exec(
      kEnsureLights, {pcc_id, absl::ToUnixSeconds(from), absl::ToUnixSeconds(to), absl::ToInt64Seconds(core::kIsp)});
  if (!ensured.ok()) return ensured.status();
  return SelectLights(conn, pcc_id, from, to, /*lock=*/true);
}

absl::Status SaveLights(PgConnection& conn, const std::string& pcc_id, const std::vector<core::IspLight>& lights) {
  for (const core::IspLight& l : lights) {
    auto r = conn.Exec(kSaveLight, {pcc_id, absl::ToUnixSeconds(l.isp_start), static_cast<int>(l.up.state),
                                    static_cast<int>(l.up.reason), static_cast<int>(l.down.state),
                                    static_cast<int>(l.down.reason), static_cast<int>(l.schedules.state),
                                    static_cast<int>(l.schedules.reason), l.intervention ? "true" : "false"});
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<core::IspLight>> ReadLights(PgConnection& conn, const std::string& pcc_id, absl::Time from,
                                                       absl::Time to) {
  return SelectLights(conn, pcc_id, from, to, /*lock=*/false);
}

absl::Status InsertIntervention(PgConnection& conn, const std::string& party_id, const std::string& key,
                                const std::string& pcc_id, absl::Time from, absl::Time to, bool lifted) {
  return conn
      .Exec(kInsertIntervention,
            {party_id, key, pcc_id, absl::ToUnixSeconds(from), absl::ToUnixSeconds(to), lifted ? "true" : "false"})
      .status();
}

}  // namespace tsodso::store
