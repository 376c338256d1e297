#include "app/flex_publisher.h"

#include <filesystem>

#include "app/flex_config.h"
#include "app/grid_files.h"
#include "core/common/status_macros.h"
#include "core/common/time.h"
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
  for (const auto& [pcc, scenarios] : config.scenarios) {
    for (const auto& [name, file] : scenarios) {
      auto sc = LoadScenario(file, pcc, name, *classes);
      if (!sc.ok()) return sc.status();
      sc->inputs.push_back(config.der_classes);
      catalog->by_pcc[pcc][name] = std::move(*sc);
    }
  }
  return std::shared_ptr<const core::FlexCatalog>(catalog);
}

FlexPublisher::FlexPublisher(const FlexibilityConfig& config, core::FlexCatalogHolder& holder, store::DbPool& pool,
                             std::shared_ptr<const core::GridCatalog> grids, store::LeaderLock* leader)
    : config_(config), holder_(holder), pool_(pool), grids_(std::move(grids)), leader_(leader) {
  InputsChanged();  // record the current modification times
}

FlexPublisher::~FlexPublisher() { Stop(); }

void FlexPublisher::Start() {
  if (config_.scenarios.empty()) return;
  // Publish at once on start, then look for due work every 2 s.
  task_.Start({.name = "flexibility publisher", .period = absl::Seconds(2), .run_first_immediately = true},
              [this](std::stop_token stop) { Tick(stop); });
}

void FlexPublisher::Stop() { task_.Stop(); }

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

absl::StatusOr<int> FlexPublisher::PublishNow(bool der_figures_first) {
  auto catalog = holder_.Get();
  const absl::Time now = absl::Now();
  // What every PCC's figures start from: its DERs' own flexibility over the
  // horizon, around the operating point its portfolios' schedules move.
  struct PccFigures {
    const core::FlexScenario* scenario;
    const core::PccNetwork* network;
    std::vector<core::PlacedBaseline> placed;
    std::vector<core::FlexInterval> horizon;
  };
  std::vector<PccFigures> pccs;
  for (const auto& entry : catalog->by_pcc) {
    // A name the lambdas below can capture (clang 14 cannot capture a
    // structured binding).
    const std::string& pcc = entry.first;
    const core::FlexScenario* sc = catalog->Find(pcc, core::kCurrentScenario);
    if (sc == nullptr) continue;
    const absl::Time from = core::AlignDown(now, sc->interval);
    const absl::Time to = from + absl::Hours(config_.horizon_hours);
    const core::PccNetwork* net = grids_ ? grids_->Find(pcc) : nullptr;
    auto placed = pool_.Run<std::vector<core::PlacedBaseline>>([&](store::PgConnection& db) {
      return store::ReadPlacedSchedules(db, pcc, from, to, now, net != nullptr ? *grids_ : core::GridCatalog{}, net);
    });
    if (!placed.ok()) return placed.status();
    const core::PccBaseline baseline = core::SumBaselines(*placed);
    auto horizon = core::ComputeRange(sc->model, from, to, sc->interval, false, &baseline);
    pccs.push_back({sc, net, std::move(*placed), std::move(horizon)});
  }
  const core::Envelope env_of_any{core::Topic::kFlexibility, "", "",
                                  core::RoleBit(core::Role::kTso) | core::RoleBit(core::Role::kDsoOperator)};
  auto envelope = [&](const PccFigures& p) {
    core::Envelope env = env_of_any;
    env.pcc_id = p.scenario->model.pcc_id;
    return env;
  };
  auto append = [&](const std::vector<core::EventDraft>& drafts) -> absl::Status {
    if (drafts.empty()) return absl::OkStatus();
    return pool_
        .Run<std::vector<core::StoredEvent>>([&](store::PgConnection& db) { return store::AppendEvents(db, drafts); })
        .status();
  };

  int published = 0;
  std::vector<core::EventDraft> drafts;
  if (der_figures_first) {
    // The grid-limited area takes seconds per PCC (a linear program per
    // interval); the DERs' figures need not wait for it.
    for (const PccFigures& p : pccs) {
      drafts.push_back({envelope(p), service::EncodeFlexibilityPayload(*p.scenario, p.horizon, now, nullptr,
                                                                       /*grid_pending=*/p.network != nullptr)});
    }
    TSODSO_RETURN_IF_ERROR(append(drafts));
    published += static_cast<int>(drafts.size());
    drafts.clear();
  }
  for (const PccFigures& p : pccs) {
    if (der_figures_first && p.network == nullptr) continue;  // already complete
    // Beside what the DERs could do, what the DSO's network lets them do.
    std::vector<std::optional<core::GridLimitedFlex>> grid;
    for (const core::FlexInterval& f : p.network != nullptr ? p.horizon : std::vector<core::FlexInterval>{}) {
      if (task_.stop_requested()) return absl::CancelledError("stopping");
      auto g = core::GridLimitedAt(*p.network, p.scenario->model, f.start, p.scenario->interval, {}, p.placed);
      // An interval whose area fails goes out without it; the others and
      // the DERs' own figures still do.
      if (!g.ok()) {
        spdlog::error("grid-limited flexibility of {} at {}: {}", p.scenario->model.pcc_id, core::Rfc3339(f.start),
                      std::string(g.status().message()));
      }
      grid.push_back(g.ok() ? std::optional(std::move(*g)) : std::nullopt);
    }
    drafts.push_back({envelope(p), service::EncodeFlexibilityPayload(*p.scenario, p.horizon, now,
                                                                     p.network != nullptr ? &grid : nullptr)});
  }
  TSODSO_RETURN_IF_ERROR(append(drafts));
  return published + static_cast<int>(drafts.size());
}

void FlexPublisher::Tick(std::stop_token stop) {
  bool publish = absl::Now() >= next_;
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
      publish = true;
    } else {
      spdlog::error("flexibility inputs changed but do not load; keeping the previous ones: {}",
                    std::string(reloaded.status().message()));
    }
  }
  // Another replica publishes while it holds the lock; this one starts
  // at once when it takes over.
  const bool leads = leader_ == nullptr || leader_->Hold();
  if (!leads) {
    next_ = absl::InfinitePast();
    der_figures_first_ = true;
    return;
  }
  if (!publish) return;
  auto n = PublishNow(der_figures_first_);
  if (stop.stop_requested()) return;
  if (n.ok()) {
    spdlog::info("published flexibility for {} PCC(s) ({} event(s))", holder_.Get()->by_pcc.size(), *n);
    next_ = absl::Now() + absl::Seconds(config_.publish_interval_s);
    der_figures_first_ = false;
  } else {
    spdlog::warn("flexibility not published: {}; retrying", std::string(n.status().message()));
    next_ = absl::Now() + absl::Seconds(10);
  }
}

}  // namespace tsodso::app
