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
// Every light given, in one statement.
constexpr char kSaveLights[] =
    "UPDATE traffic_lights t SET up_state = u.us, up_reason = u.ur, down_state = u.ds, down_reason = u.dr, "
    "schedule_state = u.ss, schedule_reason = u.sr, intervention = u.iv, updated_at = now() "
    "FROM unnest($2::bigint[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[], $9::bool[]) "
    "AS u(s, us, ur, ds, dr, ss, sr, iv) WHERE t.pcc_id = $1 AND t.isp_start = to_timestamp(u.s)";
constexpr char kInsertIntervention[] =
    "INSERT INTO interventions (party_id, idempotency_key, pcc_id, valid_from, valid_to, lifted) "
    "VALUES ($1, $2, $3, to_timestamp($4::bigint), to_timestamp($5::bigint), $6)";

// The lights of [from, to) from the rows of kSelectLights; an ISP without
// a row is green.
std::vector<core::IspLight> LightsFrom(const PgResult& r, absl::Time from, absl::Time to) {
  std::map<int64_t, core::IspLight> stored;
  for (int i = 0; i < r.rows(); ++i) {
    core::IspLight l;
    l.isp_start = absl::FromUnixSeconds(r.Int64(i, 0));
    l.up = {static_cast<core::LightState>(r.Int64(i, 1)), static_cast<core::LightReason>(r.Int64(i, 2))};
    l.down = {static_cast<core::LightState>(r.Int64(i, 3)), static_cast<core::LightReason>(r.Int64(i, 4))};
    l.schedules = {static_cast<core::LightState>(r.Int64(i, 5)), static_cast<core::LightReason>(r.Int64(i, 6))};
    l.intervention = r.Text(i, 7) == "t";
    stored[r.Int64(i, 0)] = l;
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
  const int64_t lo = absl::ToUnixSeconds(from), hi = absl::ToUnixSeconds(to);
  // The rows made where missing and locked, in one round trip.
  auto results = conn.ExecPipeline({{kEnsureLights, {pcc_id, lo, hi, absl::ToInt64Seconds(core::kIsp)}},
                                    {std::string(kSelectLights) + kLockSuffix, {pcc_id, lo, hi}}});
  if (!results.ok()) return results.status();
  return LightsFrom(results->back(), from, to);
}

absl::Status SaveLights(PgConnection& conn, const std::string& pcc_id, const std::vector<core::IspLight>& lights) {
  if (lights.empty()) return absl::OkStatus();
  std::vector<std::string> starts, up_states, up_reasons, down_states, down_reasons, schedule_states, schedule_reasons,
      interventions;
  for (const core::IspLight& l : lights) {
    starts.push_back(absl::StrCat(absl::ToUnixSeconds(l.isp_start)));
    up_states.push_back(absl::StrCat(static_cast<int>(l.up.state)));
    up_reasons.push_back(absl::StrCat(static_cast<int>(l.up.reason)));
    down_states.push_back(absl::StrCat(static_cast<int>(l.down.state)));
    down_reasons.push_back(absl::StrCat(static_cast<int>(l.down.reason)));
    schedule_states.push_back(absl::StrCat(static_cast<int>(l.schedules.state)));
    schedule_reasons.push_back(absl::StrCat(static_cast<int>(l.schedules.reason)));
    interventions.push_back(l.intervention ? "true" : "false");
  }
  return conn
      .Exec(kSaveLights, {pcc_id, ArrayLiteral(starts), ArrayLiteral(up_states), ArrayLiteral(up_reasons),
                          ArrayLiteral(down_states), ArrayLiteral(down_reasons), ArrayLiteral(schedule_states),
                          ArrayLiteral(schedule_reasons), ArrayLiteral(interventions)})
      .status();
}

absl::StatusOr<std::vector<core::IspLight>> ReadLights(PgConnection& conn, const std::string& pcc_id, absl::Time from,
                                                       absl::Time to) {
  auto r = conn.Exec(kSelectLights, {pcc_id, absl::ToUnixSeconds(from), absl::ToUnixSeconds(to)});
  if (!r.ok()) return r.status();
  return LightsFrom(*r, from, to);
}

absl::Status InsertIntervention(PgConnection& conn, const std::string& party_id, const std::string& key,
                                const std::string& pcc_id, absl::Time from, absl::Time to, bool lifted) {
  return conn
      .Exec(kInsertIntervention,
            {party_id, key, pcc_id, absl::ToUnixSeconds(from), absl::ToUnixSeconds(to), lifted ? "true" : "false"})
      .status();
}

}  // namespace tsodso::store
