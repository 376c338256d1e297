// A synthetic national DSO for benchmarks and tests of many PCCs.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "support/gateway_process.h"

namespace tsodso::testing {

// Write `count` PCCs into `dir`, named N0001, N0002, ...: each a network of
// 5 to 9 feeders from `tsodso-gatewayd grid synthesize` (the IEEE 33-bus
// feeder at 20 kV: 161 to 289 buses) behind its HV/MV transformer, and its
// own DER mix (PV, CHP, run-of-river hydro, wind, storage, sized per PCC)
// placed on its buses. The same seed writes the same case.
absl::StatusOr<std::vector<ExtraPcc>> WriteNationalCase(const std::string& dir, int count, unsigned seed = 1);

}  // namespace tsodso::testing
