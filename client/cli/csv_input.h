// The CSV files the verbs read their requests from. Errors name the file,
// the row (as a spreadsheet shows it) and the column.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "absl/status/status.h"
#include "tsodso/v1/prequalification.pb.h"
#include "tsodso/v1/schedule.pb.h"
#include "tsodso/v1/validation.pb.h"

namespace tsodso::cli {

// Add the bids of a MOL, all for the ISP starting at `isp`. Columns:
// bid_id, bsp, resources (separated by ';'), pcc, quantity_mw,
// price_eur_per_mwh [, min_quantity_mw, divisible (1/0)].
absl::Status ReadMolCsv(const std::string& path, const google::protobuf::Timestamp& isp,
                        v1::ValidateMeritOrderRequest* out);

// Add the assets to prequalify. Columns: resource_id, type (pv, wind, chp,
// biomass, hydro, battery, ev_charger, flexible_load), pcc, sn_mva,
// p_min_mw, p_max_mw, q_min_mvar, q_max_mvar.
absl::Status ReadAssetsCsv(const std::string& path, v1::PrequalificationRequest* out);

// Add the intervals of a schedule. Columns: start (RFC 3339 UTC), p_mw
// [, q_mvar]; an empty q_mvar cell means none.
absl::Status ReadScheduleCsv(const std::string& path, v1::SubmitScheduleRequest* out);

}  // namespace tsodso::cli
