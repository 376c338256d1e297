// Loads the flexibility scenarios, and publishes each PCC's flexibility
// for the coming horizon as FLEXIBILITY events: at start, on a schedule,
// and when an input file changes.
#pragma once

#include <filesystem>
#include <map>
#include <stop_token>

#include "absl/status/statusor.h"
#include "app/config.h"
#include "core/flexibility/catalog_holder.h"
#include "core/forecast/load_history.h"
#include "core/pcc/pcc_network.h"
#include "runtime/periodic_task.h"
#include "store/db_pool.h"
#include "store/leader_lock.h"

namespace tsodso::app {

// Read every configured scenario; errors name the file.
absl::StatusOr<std::shared_ptr<const core::FlexCatalog>> LoadFlexCatalog(const FlexibilityConfig& config);

class FlexPublisher {
 public:
  // With a leader lock, only the replica that holds it publishes.
  FlexPublisher(const FlexibilityConfig& config, core::FlexCatalogHolder& holder, store::DbPool& pool,
                std::shared_ptr<const core::GridCatalog> grids = nullptr, store::LeaderLock* leader = nullptr);
  ~FlexPublisher();
  void Start();
  // Stop, giving up a computation in progress.
  void Stop();
  // Compute and publish the current scenario of every PCC now; returns
  // the number of events written. With `der_figures_first`, a PCC with a
  // network gets its DERs' figures at once, marked grid_limited_pending,
  // and its grid-limited figures in a second event when computed.
  absl::StatusOr<int> PublishNow(bool der_figures_first = false);

 private:
  // One look for due work: changed inputs, the publishing interval, a
  // takeover of the leader lock.
  void Tick(std::stop_token stop);
  bool InputsChanged();

  const FlexibilityConfig& config_;
  core::FlexCatalogHolder& holder_;
  store::DbPool& pool_;
  std::shared_ptr<const core::GridCatalog> grids_;
  store::LeaderLock* leader_;
  std::map<std::string, std::filesystem::file_time_type> mtimes_;
  // When the next publication is due (touched by the task's thread only).
  absl::Time next_ = absl::InfinitePast();
  // Set while this replica has not published since it started or took
  // over: the DERs' figures then go out before the grid-limited ones.
  bool der_figures_first_ = true;
  runtime::PeriodicTask task_;
};

}  // namespace tsodso::app
