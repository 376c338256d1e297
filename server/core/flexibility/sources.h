// What the publishers and the services read their flexibility inputs and
// the PCCs' measured load from: plain holders, shared by the daemon's
// threads, with no transport in them.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/flexibility/engine.h"
#include "core/forecast/series.h"

namespace tsodso::core {

// The flexibility scenarios in force; swapped whole when inputs change.
class FlexCatalogHolder {
 public:
  std::shared_ptr<const FlexCatalog> Get() const {
    std::lock_guard lock(mu_);
    return catalog_;
  }
  void Set(std::shared_ptr<const FlexCatalog> catalog) {
    std::lock_guard lock(mu_);
    catalog_ = std::move(catalog);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const FlexCatalog> catalog_ = std::make_shared<FlexCatalog>();
};

// A PCC's measured load (MW, consumption before DER injection) on the
// 15-minute grid, and a description of where it comes from for the
// forecasts' inputs (no file names: those stay with the DSO).
struct LoadHistory {
  Series series;
  std::string description;
};
// Return the load history of [from, to) of the scenario's PCC.
using LoadHistorySource =
    std::function<absl::StatusOr<LoadHistory>(const FlexScenario& scenario, absl::Time from, absl::Time to)>;

}  // namespace tsodso::core
