// Issues each PCC's forecasts and publishes them as FORECAST events:
// day-ahead at the gate time for the next local day, intraday every ISP.
// Every issue is stored with its inputs, so what was forecast at a time
// can be read back.
#pragma once

#include <map>
#include <stop_token>

#include "absl/status/statusor.h"
#include "app/config.h"
#include "core/flexibility/catalog_holder.h"
#include "core/forecast/load_history.h"
#include "core/forecast/pcc_forecast.h"
#include "core/pcc/pcc_network.h"
#include "runtime/periodic_task.h"
#include "store/db_pool.h"
#include "store/leader_lock.h"

namespace tsodso::app {

class ForecastPublisher {
 public:
  // With a leader lock, only the replica that holds it issues forecasts.
  ForecastPublisher(const ForecastConfig& config, core::FlexCatalogHolder& holder, store::DbPool& pool,
                    std::shared_ptr<const core::GridCatalog> grids, core::LoadHistorySource history,
                    store::LeaderLock* leader = nullptr);
  ~ForecastPublisher();
  void Start();
  void Stop();
  // Issue, store and publish the forecasts that are due at `now`; returns
  // how many were issued.
  absl::StatusOr<int> IssueDue(absl::Time now);

 private:
  // Issue what is due while this replica leads.
  void Tick();
  // Issue one forecast of [from, to) for the PCC and store it with its
  // event in one transaction.
  absl::Status Issue(const core::FlexScenario& scenario, core::ForecastKind kind, absl::Time now, absl::Time from,
                     absl::Time to);

  const ForecastConfig& config_;
  core::FlexCatalogHolder& holder_;
  store::DbPool& pool_;
  std::shared_ptr<const core::GridCatalog> grids_;
  core::LoadHistorySource history_;
  store::LeaderLock* leader_;
  absl::TimeZone zone_;
  // Per PCC and kind: the delivery start of the latest issue, so that a
  // period is issued once (read from the database at start).
  std::map<std::pair<std::string, core::ForecastKind>, absl::Time> issued_for_;
  // After a failure, no new try before this (touched by the task only).
  absl::Time next_try_ = absl::InfinitePast();
  runtime::PeriodicTask task_;  // its stop is checked between issues, so a stop never waits long
};

}  // namespace tsodso::app
