// What the use cases run against: the DSO's configuration, loaded at start,
// and the scenarios in force. No transport here: the gRPC handlers (api/)
// and the tests (tests/pg) build one the same way.
#pragma once

#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/common/swappable.h"
#include "core/flexibility/catalog_holder.h"
#include "core/forecast/load_history.h"
#include "core/pcc/pcc_network.h"
#include "core/registry/party_registry.h"
#include "core/schedules/schedule.h"

namespace tsodso::service {

// Who the DSO deals with: the parties and their PCCs, and the aggregators'
// portfolios. Replaced whole when the configuration is reloaded; a use case
// takes it once and keeps it for the whole request.
struct Directory {
  std::shared_ptr<const core::PartyRegistry> registry;
  std::vector<core::Portfolio> portfolios;
};

struct Context {
  // The directory in force (replaced whole on reload).
  std::shared_ptr<const Directory> directory() const { return directory_.Get(); }
  void SetDirectory(std::shared_ptr<const Directory> directory) { directory_.Set(std::move(directory)); }

  // The flexibility scenarios in force (swapped whole when inputs change).
  core::FlexCatalogHolder* flex = nullptr;
  // The DSO-private networks and resource registry (never sent out).
  std::shared_ptr<const core::GridCatalog> grids = std::make_shared<core::GridCatalog>();
  core::ScheduleHorizon schedule_horizon;
  // How long a prequalification holds.
  absl::Duration qualification_validity = absl::Hours(24 * 365);
  // The PCCs' measured load, for what forecasts compare with.
  core::LoadHistorySource load_history;
  // Set when the gateway is stopping: long computations give up
  // (UNAVAILABLE) rather than hold up the shutdown.
  std::stop_token stopping;

 private:
  core::Swappable<Directory> directory_;
};

// One call of a use case: who asks, the one time the request is judged and
// stamped at (taken once when the call arrives, in whole microseconds as the
// store keeps it), and, for requests done once per key, the RPC's full gRPC
// path and the digest of the request as sent.
struct Caller {
  const core::Party& party;
  absl::Time now;
  std::string method;
  std::string request_digest;
};

// Why a computation gave up when the gateway was stopping.
inline constexpr char kStoppingMessage[] = "gateway is shutting down; ask again";

// Return `t` in whole microseconds, the store's resolution, so that what is
// answered equals what is stored.
inline absl::Time ToStoreResolution(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

}  // namespace tsodso::service
