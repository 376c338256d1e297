#include "app/flex_publisher.h"

#include <filesystem>

#include "api/convert.h"
#include "app/flex_config.h"
#include "app/grid_commands.h"
#include "core/common/time.h"
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

FlexPublisher::FlexPublisher(const FlexibilityConfig& config, api::FlexCatalogHolder& holder, store::DbPool& pool,
                             std::shared_ptr<const core::GridCatalog> grids, store::LeaderLock* leader)
    : config_(config), holder_(holder), pool_(pool), grids_(std::move(grids)), leader_(leader) {
  InputsChanged();  // record the current modification times
}

FlexPublisher::~FlexPublisher() { Stop(); }

void FlexPublisher::Start() {
  if (config_.scenarios.empty()) return;
  thread_ = std::thread([this] { Run(); });
}

void FlexPublisher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
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

absl::StatusOr<int> FlexPublisher::PublishNow() {
  auto catalog = holder_.Get();
  const absl::Time now = absl::Now();
  std::vector<core::EventDraft> drafts;
  for (const auto& [pcc, scenarios] : catalog->by_pcc) {
    const core::FlexScenario* sc = catalog->Find(pcc, core::kCurrentScenario);
    if (sc == nullptr) continue;
    const absl::Time from = core::AlignDown(now, sc->interval);
    const absl::Time to = from + absl::Hours(config_.horizon_hours);
    // Beside what the DERs could do, what the DSO's network lets them do.
    const core::PccNetwork* net = grids_ ? grids_->Find(pcc) : nullptr;
    auto placed = pool_.Run<std::vector<core::PlacedBaseline>>([&](store::PgConnection& db) {
      return store::ReadPlacedSchedules(db, pcc, from, to, now, net != nullptr ? *grids_ : core::GridCatalog{}, net);
    });
    if (!placed.ok()) return placed.status();
    const core::PccBaseline baseline = core::SumBaselines(*placed);
    const auto horizon = core::ComputeRange(sc->model, from, to, sc->interval, false, &baseline);
    core::Envelope env{core::Topic::kFlexibility, pcc, "",
                       core::RoleBit(core::Role::kTso) | core::RoleBit(core::Role::kDsoOperator)};
    std::vector<std::optional<core::GridLimitedFlex>> grid;
    for (const core::FlexInterval& f : net != nullptr ? horizon : std::vector<core::FlexInterval>{}) {
      auto g = core::GridLimitedAt(*net, sc->model, f.start, sc->interval, {}, *placed);
      // An interval whose area fails goes out without it; the others and
      // the DERs' own figures still do.
      if (!g.ok()) {
        spdlog::error("grid-limited flexibility of {} at {}: {}", pcc, core::Rfc3339(f.start),
                      std::string(g.status().message()));
      }
      grid.push_back(g.ok() ? std::optional(std::move(*g)) : std::nullopt);
    }
    drafts.push_back({env, api::EncodeFlexibilityPayload(*sc, horizon, now, net != nullptr ? &grid : nullptr)});
  }
  if (drafts.empty()) return 0;
  auto appended = pool_.Run<std::vector<core::StoredEvent>>(
      [&](store::PgConnection& db) { return store::AppendEvents(db, drafts); });
  if (!appended.ok()) return appended.status();
  return static_cast<int>(drafts.size());
}

void FlexPublisher::Run() {
  absl::Time next = absl::InfinitePast();
  bool first = true;
  while (true) {
    bool publish = false;
    {
      // Publish at once on start, then look for due work every 2 s.
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, first ? std::chrono::seconds(0) : std::chrono::seconds(2), [this] { return stop_; })) {
        return;
      }
      first = false;
    }
    if (absl::Now() >= next) publish = true;
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
      next = absl::InfinitePast();
      continue;
    }
    if (!publish) continue;
    auto n = PublishNow();
    if (n.ok()) {
      spdlog::info("published flexibility for {} PCC(s)", *n);
      next = absl::Now() + absl::Seconds(config_.publish_interval_s);
    } else {
      spdlog::warn("flexibility not published: {}; retrying", std::string(n.status().message()));
      next = absl::Now() + absl::Seconds(10);
    }
  }
}

}  // namespace tsodso::app
