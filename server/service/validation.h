// The TSO's merit-order lists checked against the DSO's network: bid
// limits, traffic lights and who hears of them.
#pragma once

#include "absl/status/statusor.h"
#include "service/context.h"
#include "store/pg.h"
#include "tsodso/v1/validation.pb.h"

namespace tsodso::service {

// Validate a merit-order list once per validation id. The list is kept as
// received; the traffic light of each PCC it touches follows the result;
// the TSO gets every line, each BSP its own lines (BID_LIMITS events).
absl::StatusOr<v1::MeritOrderValidation> ValidateMeritOrder(store::PgConnection& db, const Context& ctx,
                                                            const Caller& caller,
                                                            const v1::ValidateMeritOrderRequest& request);

}  // namespace tsodso::service
