// MOL validations, traffic lights and interventions in PostgreSQL.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/validation/traffic_light.h"
#include "store/pg.h"

namespace tsodso::store {

struct MolRecord {
  std::string validation_id;
  std::string party_id;
  absl::Time isp_start;
  int direction = 0;
  std::string request;   // the encoded request as received
  std::string response;  // the encoded answer
};

// Insert inside an open transaction.
absl::Status InsertMolValidation(PgConnection& conn, const MolRecord& record);

// Inside an open transaction: lock the traffic-light rows of the PCC's ISPs
// in [from, to) (creating green ones where none exist) and return them,
// one per ISP, in time order.
absl::StatusOr<std::vector<core::IspLight>> LockLights(PgConnection& conn, const std::string& pcc_id, absl::Time from,
                                                       absl::Time to);

// Write the rows back (after LockLights in the same transaction).
absl::Status SaveLights(PgConnection& conn, const std::string& pcc_id, const std::vector<core::IspLight>& lights);

// Return the lights of [from, to), one per ISP (green where none is stored).
absl::StatusOr<std::vector<core::IspLight>> ReadLights(PgConnection& conn, const std::string& pcc_id, absl::Time from,
                                                       absl::Time to);

// Record a declared (or lifted) intervention inside an open transaction.
absl::Status InsertIntervention(PgConnection& conn, const std::string& party_id, const std::string& key,
                                const std::string& pcc_id, absl::Time from, absl::Time to, bool lifted);

}  // namespace tsodso::store
