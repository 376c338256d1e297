// Prequalification decisions and standing qualifications in PostgreSQL.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/prequalification/prequalification.h"
#include "store/pg.h"

namespace tsodso::store {

// Inside an open transaction: take a lock on each asset (in id order, so
// concurrent requests cannot deadlock) until COMMIT, so that two
// aggregators claiming one asset are decided one after the other.
absl::Status LockAssets(PgConnection& conn, std::vector<std::string> ids);

// Return the standing qualifications of the assets that have one.
absl::StatusOr<std::map<std::string, core::Qualification>> ReadQualifications(PgConnection& conn,
                                                                              const std::vector<std::string>& ids);

// Return the assets qualified for `aggregator` and not expired at `now`.
absl::StatusOr<std::vector<std::string>> QualifiedAssetsOf(PgConnection& conn, const std::string& aggregator,
                                                           absl::Time now);

// Record a decision; a qualification becomes the asset's standing one, and
// a refusal ends the claimant's own standing qualification of the asset.
absl::Status SaveDecision(PgConnection& conn, const std::string& aggregator, const core::AssetDecision& decision,
                          absl::Time decided_at);

}  // namespace tsodso::store
