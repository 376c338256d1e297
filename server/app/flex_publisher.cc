#include "app/flex_publisher.h"

#include <filesystem>
#include <optional>

#include "app/flex_config.h"
#include "app/grid_files.h"
#include "core/common/status_macros.h"
#include "core/common/time.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "service/wire.h"
#include "spdlog/spdlog.h"
#include "store/event_store.h"
#include "store/schedule_store.h"

namespace tsodso::app {
namespace fs = std::filesystem;

absl::StatusOr<std::shared_ptr<const core::FlexCatalog>> LoadFlexCatalog(const FlexibilityConfig& config) {
  auto catalog = std::make_shared<core::FlexCatalog>();
  if (config.der_classes.empty()) return std::shared_ptr<const core::FlexCatalog>(catalog);
  auto classes = LoadDerClasses(config.der_classes);
  if (!classes.ok()) return classes.status();
  ProfileCache profiles;
  for (const auto& [pcc, scenarios] : config.scenarios) {
    for (const auto& [name, file] : scenarios) {
      auto sc = LoadScenario(file, pcc, name, *classes, &profiles);
      if (!sc.ok()) return sc.status();
      sc->inputs.push_back(config.der_classes);
      catalog->by_pcc[pcc][name] = std::move(*sc);
    }
  }
  return std::shared_ptr<const core::FlexCatalog>(catalog);
}

struct FlexPublisher::PccFigures {
  const core::FlexScenario* scenario;
  const core::PccNetwork* network;
  std::vector<core::PlacedBaseline> placed;
  std::vector<core::FlexInterval> horizon;
};

namespace {

core::EventDraft FlexibilityEvent(const core::FlexScenario& scenario, std::string payload) {
  return {core::Envelope{core::Topic::kFlexibility, scenario.model.pcc_id, "",
                         core::RoleBit(core::Role::kTso) | core::RoleBit(core::Role::kDsoOperator)},
          std::move(payload)};
}

}  // namespace

FlexPublisher::FlexPublisher(const FlexibilityConfig& config, core::FlexCatalogHolder& holder, store::DbPool& pool,
                             std::shared_ptr<const core::GridCatalog> grids)
    : config_(config),
      holder_(holder),
      pool_(pool),
      grids_(std::move(grids)),
      work_{store::NewReplicaName(), absl::Seconds(config.lease_period_s), absl::Seconds(config.publish_interval_s)} {
  InputsChanged();  // record the current modification times
}

FlexPublisher::~FlexPublisher() { Stop(); }

void FlexPublisher::Start() {
  if (config_.scenarios.empty()) return;
  // Look for due work at once, then every 2 s.
  task_.Start({.name = "flexibility publisher", .period = absl::Seconds(2), .run_first_immediately = true},
              [this](std::stop_token) { Tick(); });
}

void FlexPublisher::Stop() {
  if (!task_.running()) return;
  task_.Stop();
  // What this replica had claimed goes to the others at once, not after
  // its lease.
  auto released = pool_.Run<bool>([&](store::PgConnection& db) -> absl::StatusOr<bool> {
    TSODSO_RETURN_IF_ERROR(store::ReleaseLeases(db, work_));
    return true;
  });
  if (!released.ok()) spdlog::warn("flexibility claims left to lapse: {}", std::string(released.status().message()));
}

bool FlexPublisher::InputsChanged() {
  bool changed = false;
  auto catalog = holder_.Get();
  for (const auto& [pcc, scenarios] : catalog->by_pcc) {
    for (const auto& [name, sc] : scenarios) {
      for (const std::string& file : sc.inputs) {
        std::error_code ec;
        const auto t = fs::last_write_time(file, ec);
        if (ec) continue;
        auto [it, inserted] = mtimes_.emplace(file, t);
        if (!inserted && it->second != t) {
          it->second = t;
          changed = true;
        }
      }
    }
  }
  return changed;
}

absl::StatusOr<FlexPublisher::PccFigures> FlexPublisher::DerFigures(store::PgConnection& db,
                                                                    const core::FlexScenario& scenario,
                                                                    absl::Time now) const {
  const std::string& pcc = scenario.model.pcc_id;
  const absl::Time from = core::AlignDown(now, scenario.interval);
  const absl::Time to = from + absl::Hours(config_.horizon_hours);
  const core::PccNetwork* net = grids_ ? grids_->Find(pcc) : nullptr;
  auto placed = store::ReadPlacedSchedules(db, pcc, from, to, now, net != nullptr ? *grids_ : core::GridCatalog{}, net);
  if (!placed.ok()) return placed.status();
  const core::PccBaseline baseline = core::SumBaselines(*placed);
  const runtime::ComputeTimer timer("flexibility");
  auto horizon = core::ComputeRange(scenario.model, from, to, scenario.interval, false, &baseline);
  return PccFigures{&scenario, net, std::move(*placed), std::move(horizon)};
}

absl::StatusOr<bool> FlexPublisher::PublishClaimed(const core::FlexCatalog& catalog, const store::PccLease& lease) {
  const core::FlexScenario* sc = catalog.Find(lease.pcc_id, core::kCurrentScenario);
  if (sc == nullptr) return false;  // gone with a reload: the claim lapses
  const absl::Time now = absl::Now();
  auto p = pool_.Run<PccFigures>([&](store::PgConnection& db) { return DerFigures(db, *sc, now); });
  if (!p.ok()) return p.status();
  // Beside what the DERs could do, what the DSO's network lets them do.
  std::vector<std::optional<core::GridLimitedFlex>> grid;
  std::optional<runtime::ComputeTimer> timer;
  std::optional<core::GridLimitedSeries> series;
  if (p->network != nullptr) {
    timer.emplace("grid_limited");
    // The horizon's intervals and a few more: the last cycle's, less the
    // one that has passed, are the hits.
    const size_t intervals = static_cast<size_t>(absl::Hours(config_.horizon_hours) / sc->interval) + 4;
    core::GridLimitedCache* cache =
        config_.grid_area_cache ? &grid_caches_.try_emplace(lease.pcc_id, intervals).first->second : nullptr;
    series.emplace(*p->network, sc->model, sc->interval, core::WithMargins<core::GridAreaOptions>(grids_->margins),
                   p->placed, cache);
  }
  absl::Time renewed = absl::Now();
  for (const core::FlexInterval& f : p->network != nullptr ? p->horizon : std::vector<core::FlexInterval>{}) {
    if (task_.stop_requested()) return absl::CancelledError("stopping");
    // Renewed well before it lapses, so that no other replica takes the
    // PCC while this one is still at it.
    if (absl::Now() - renewed >= work_.lease / 3) {
      auto held = pool_.Run<bool>([&](store::PgConnection& db) { return store::RenewLease(db, lease, work_); });
      if (!held.ok()) return held.status();
      if (!*held) {
        spdlog::info("flexibility of {}: another replica took it over; giving up this computation", lease.pcc_id);
        return false;
      }
      renewed = absl::Now();
    }
    auto g = series->At(f.start);
    // An interval whose area fails goes out without it; the others and
    // the DERs' own figures still do.
    if (!g.ok()) {
      runtime::log::Log(spdlog::level::err, {{"pcc", lease.pcc_id}}, "grid-limited flexibility of {} at {}: {}",
                        lease.pcc_id, core::Rfc3339(f.start), std::string(g.status().message()));
    }
    grid.push_back(g.ok() ? std::optional(std::move(*g)) : std::nullopt);
  }
  timer.reset();
  const core::EventDraft draft = FlexibilityEvent(
      *sc, service::EncodeFlexibilityPayload(*sc, p->horizon, now, p->network != nullptr ? &grid : nullptr));
  // The cycle moves on in the transaction that appends its event: of two
  // replicas that computed it (a lease that lapsed), one publishes.
  return pool_.Run<bool>([&](store::PgConnection& db) -> absl::StatusOr<bool> {
    auto first = store::CompleteCycle(db, lease, work_);
    if (!first.ok() || !*first) return first;
    TSODSO_RETURN_IF_ERROR(store::AppendEvents(db, {draft}).status());
    return true;
  });
}

absl::StatusOr<int> FlexPublisher::PublishDue() {
  auto catalog = holder_.Get();
  std::vector<std::string> pccs, with_network;
  for (const auto& entry : catalog->by_pcc) {
    if (catalog->Find(entry.first, core::kCurrentScenario) == nullptr) continue;
    pccs.push_back(entry.first);
    if (grids_ != nullptr && grids_->Find(entry.first) != nullptr) with_network.push_back(entry.first);
  }
  if (pccs.empty()) return 0;
  if (!registered_) {
    auto added = pool_.Run<bool>([&](store::PgConnection& db) -> absl::StatusOr<bool> {
      TSODSO_RETURN_IF_ERROR(store::RegisterPccs(db, pccs));
      return true;
    });
    if (!added.ok()) return added.status();
    registered_ = true;
  }
  int published = 0;
  if (!with_network.empty()) {
    // The grid-limited area takes seconds per PCC (a linear program per
    // interval); the DERs' figures take milliseconds, and go out for all
    // such PCCs in one transaction.
    const absl::Time now = absl::Now();
    auto n = pool_.Run<int>([&](store::PgConnection& db) -> absl::StatusOr<int> {
      auto claimed = store::ClaimPreliminary(db, with_network, work_);
      if (!claimed.ok()) return claimed.status();
      std::vector<core::EventDraft> drafts;
      for (const std::string& pcc : *claimed) {
        const core::FlexScenario* sc = catalog->Find(pcc, core::kCurrentScenario);
        auto p = DerFigures(db, *sc, now);
        if (!p.ok()) return p.status();
        drafts.push_back(FlexibilityEvent(*sc, service::EncodeFlexibilityPayload(*sc, p->horizon, now, nullptr,
                                                                                 /*grid_pending=*/true)));
      }
      if (!drafts.empty()) TSODSO_RETURN_IF_ERROR(store::AppendEvents(db, drafts).status());
      return static_cast<int>(drafts.size());
    });
    if (!n.ok()) return n.status();
    if (*n > 0) spdlog::info("published the DERs' own flexibility of {} PCC(s) ahead of the grid-limited", *n);
    published += *n;
  }
  while (!task_.stop_requested()) {
    auto lease = pool_.Run<std::optional<store::PccLease>>(
        [&](store::PgConnection& db) { return store::ClaimDuePcc(db, pccs, work_); });
    if (!lease.ok()) return lease.status();
    if (!lease->has_value()) break;
    auto done = PublishClaimed(*catalog, **lease);
    if (!done.ok()) return done.status();  // the claim lapses; a replica takes the PCC then
    if (*done) {
      runtime::log::Log(spdlog::level::info, {{"pcc", (*lease)->pcc_id}}, "published flexibility of {} (cycle {})",
                        (*lease)->pcc_id, (*lease)->cycle + 1);
      runtime::Metrics::Get().Published("flexibility", (*lease)->pcc_id, absl::ToDoubleSeconds(work_.interval));
    }
    published += *done;
  }
  return published;
}

void FlexPublisher::Tick() {
  if (InputsChanged()) {
    // The modification times were taken before loading: an edit made
    // while loading shows up at the next check and is loaded then.
    auto reloaded = LoadFlexCatalog(config_);
    if (reloaded.ok() && grids_ != nullptr) {
      // A new DER group must be placed on the network before it counts.
      if (auto st = CheckPlacements(*grids_, **reloaded); !st.ok()) reloaded = st;
    }
    if (reloaded.ok()) {
      holder_.Set(*reloaded);
      spdlog::info("flexibility inputs changed: scenarios reloaded");
      // Every PCC is due again, whichever replica publishes it.
      std::vector<std::string> pccs;
      for (const auto& entry : (*reloaded)->by_pcc) pccs.push_back(entry.first);
      auto marked = pool_.Run<bool>([&](store::PgConnection& db) -> absl::StatusOr<bool> {
        TSODSO_RETURN_IF_ERROR(store::MarkPccsDue(db, pccs));
        return true;
      });
      if (!marked.ok())
        spdlog::warn("changed flexibility inputs not marked due: {}", std::string(marked.status().message()));
      next_try_ = absl::InfinitePast();
    } else {
      spdlog::error("flexibility inputs changed but do not load; keeping the previous ones: {}",
                    std::string(reloaded.status().message()));
    }
  }
  if (absl::Now() < next_try_) return;
  auto n = PublishDue();
  if (task_.stop_requested()) return;
  if (!n.ok()) {
    spdlog::warn("flexibility not published: {}; retrying", std::string(n.status().message()));
    next_try_ = absl::Now() + absl::Seconds(10);
  }
}

}  // namespace tsodso::app
