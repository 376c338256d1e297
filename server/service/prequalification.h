// Prequalification: an aggregator's claims on the DSO's registered assets,
// decided once per key and announced to the TSO.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/prequalification/prequalification.h"
#include "service/context.h"
#include "store/pg.h"
#include "tsodso/v1/prequalification.pb.h"

namespace tsodso::service {

absl::StatusOr<v1::PrequalificationResponse> RequestPrequalification(store::PgConnection& db, const Context& ctx,
                                                                     const Caller& caller,
                                                                     const std::string& idempotency_key,
                                                                     const std::vector<core::AssetClaim>& claims);

}  // namespace tsodso::service
