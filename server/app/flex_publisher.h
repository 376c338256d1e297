// Loads the flexibility scenarios, and publishes each PCC's flexibility
// for the coming horizon as FLEXIBILITY events: at start, on a schedule,
// and when an input file changes. Replicas on one database share the PCCs
// through it (store/pcc_work_store.h): each claims due PCCs one at a time,
// and every PCC is published once per cycle, by whichever replica claimed
// it; one replica alone publishes them all.
#pragma once

#include <filesystem>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "app/config.h"
#include "core/flexibility/catalog_holder.h"
#include "core/forecast/load_history.h"
#include "core/pcc/pcc_network.h"
#include "runtime/periodic_task.h"
#include "store/db_pool.h"
#include "store/pcc_work_store.h"

namespace tsodso::app {

// Read every configured scenario; errors name the file.
absl::StatusOr<std::shared_ptr<const core::FlexCatalog>> LoadFlexCatalog(const FlexibilityConfig& config);

class FlexPublisher {
 public:
  FlexPublisher(const FlexibilityConfig& config, core::FlexCatalogHolder& holder, store::DbPool& pool,
                std::shared_ptr<const core::GridCatalog> grids = nullptr);
  ~FlexPublisher();
  void Start();
  // Stop, giving up a computation in progress and this replica's claims.
  void Stop();
  // Publish what is due now: the DERs' own figures of every PCC with a
  // network whose grid-limited figures are missing or two intervals old
  // (they take seconds per PCC; the DERs' figures need not wait), then
  // each due PCC this replica can claim, one at a time, until none is
  // left. Returns the number of events written.
  absl::StatusOr<int> PublishDue();

 private:
  struct PccFigures;
  // One look for due work: changed inputs, PCCs due.
  void Tick();
  bool InputsChanged();
  // The DERs' figures of the scenario's PCC over the horizon from `now`,
  // around the operating point its portfolios' schedules move.
  absl::StatusOr<PccFigures> DerFigures(store::PgConnection& db, const core::FlexScenario& scenario,
                                        absl::Time now) const;
  // Compute the claimed PCC, renewing its lease, and publish it unless
  // another replica did; returns whether this replica published it.
  absl::StatusOr<bool> PublishClaimed(const core::FlexCatalog& catalog, const store::PccLease& lease);

  const FlexibilityConfig& config_;
  core::FlexCatalogHolder& holder_;
  store::DbPool& pool_;
  std::shared_ptr<const core::GridCatalog> grids_;
  const store::PccWorkOptions work_;
  std::map<std::string, std::filesystem::file_time_type> mtimes_;
  // Each PCC's grid-limited figures by their inputs: from one cycle to the
  // next the horizon moves by an interval, and only the new one (and any
  // whose inputs changed) is computed. Touched by the task only.
  std::map<std::string, core::GridLimitedCache> grid_caches_;
  // Set once this replica's PCCs are in the work table.
  bool registered_ = false;
  // After a failure, no new try before this (touched by the task only).
  absl::Time next_try_ = absl::InfinitePast();
  runtime::PeriodicTask task_;
};

}  // namespace tsodso::app
