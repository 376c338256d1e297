// Curtailment in the red phase: the operator orders aggregators' portfolios
// below a PCC to cap their injection or hold a setpoint for whole ISPs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/registry/party_registry.h"
#include "core/schedules/schedule.h"

namespace tsodso::core {

struct CurtailmentOrder {
  std::string portfolio_id;
  std::optional<double> max_injection_mw;  // cap, MW >= 0
  std::optional<double> setpoint_mw;       // exchange, consumption positive
};

struct CurtailmentRequest {
  std::string pcc_id;
  absl::Time from;
  absl::Time to;
  std::vector<CurtailmentOrder> orders;
  std::string text;
};

struct Curtailment {
  std::string id;
  std::string pcc_id;
  absl::Time from;
  absl::Time to;
  std::string text;
  std::string issued_by;
  absl::Time issued_at;
  // Each affected aggregator's own orders.
  std::map<std::string, std::vector<CurtailmentOrder>> by_aggregator;
  // PCC-level summary for the TSO.
  int portfolios = 0;
  double total_max_injection_mw = 0;
};

// Check the request at `now` and group the orders by aggregator. Errors
// (INVALID_ARGUMENT) name the field and value: an unknown PCC, a period
// that is not whole ISPs, has ended or lasts over 7 days, no orders, a
// portfolio unknown, at another PCC or ordered twice, neither or both of
// cap and setpoint, a negative or NaN cap, a setpoint outside the
// portfolio's range, a text over 4000 characters.
absl::StatusOr<Curtailment> MakeCurtailment(const CurtailmentRequest& request, const PartyRegistry& registry,
                                            const std::vector<Portfolio>& portfolios, const Party& issuer,
                                            absl::Time now, std::string id);

}  // namespace tsodso::core
