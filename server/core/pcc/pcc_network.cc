#include "core/pcc/pcc_network.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace tsodso::core {

absl::Status CheckPlacement(const PccNetwork& network, const PccModel& model, const std::string& source) {
  std::map<std::string, double> total;
  for (const DerPlacement& d : network.placement) {
    if (network.grid->BusIndex(d.bus) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": group '", d.group, "': bus '", d.bus, "' is not in the network model"));
    }
    if (!std::isfinite(d.share) || d.share <= 0 || d.share > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": group '", d.group, "' at bus '", d.bus, "': share ", d.share, " is not in (0, 1]"));
    }
    total[d.group] += d.share;
  }
  for (const DerGroup& g : model.groups) {
    auto it = total.find(g.name);
    if (it == total.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": group '", g.name, "' of PCC ", network.pcc_id, " is not placed on any bus"));
    }
    if (std::abs(it->second - 1) > 1e-6) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": group '", g.name, "': shares sum to ", it->second, ", not 1"));
    }
  }
  return absl::OkStatus();
}

ResourceBook BookOf(const GridCatalog& grids, const std::map<std::string, Qualification>& qualifications) {
  ResourceBook book;
  for (const auto& [id, asset] : grids.assets) {
    const PccNetwork* net = grids.Find(asset.pcc_id);
    if (net == nullptr) continue;
    RegisteredResource r;
    auto q = qualifications.find(id);
    r.location = {asset.pcc_id, {{net->grid->BusIndex(asset.bus), 1.0}}, q != qualifications.end()};
    if (q != qualifications.end()) {
      r.aggregator = q->second.aggregator;
      r.prequalified_until = q->second.valid_until;
      r.qualified_swing_mw = q->second.p_max_mw - q->second.p_min_mw;
    }
    book[id] = r;
  }
  return book;
}

std::vector<int> BusesOf(const GridCatalog& grids, const PccNetwork& network,
                         const std::vector<std::string>& asset_ids) {
  std::vector<int> buses;
  for (const std::string& id : asset_ids) {
    auto asset = grids.assets.find(id);
    if (asset != grids.assets.end() && asset->second.pcc_id == network.pcc_id) {
      buses.push_back(network.grid->BusIndex(asset->second.bus));
    }
  }
  return buses;
}

GridState GridStateAt(const PccNetwork& network, const PccModel& model, absl::Time start, absl::Duration step) {
  const RadialGrid& grid = *network.grid;
  const GridModel& m = grid.model();
  const size_t n = grid.bus_count();
  GridState s;
  s.injections.assign(n, {});
  s.der_regions.assign(n, {});
  s.der_operating.assign(n, {});
  double model_p = 0, model_q = 0;
  for (const Bus& b : m.buses) model_p += b.p_load_mw, model_q += b.q_load_mvar;
  if (model.load_mw) {
    const PqPoint pcc_load = PccLoadAt(model, start, step);
    if (model_p > 0) s.load_scale = pcc_load.p / model_p;
    // The reactive load follows the PCC's own, not the model's Q/P ratio:
    // otherwise the network would exchange another Q than the one published.
    s.load_scale_q = model_q > 0 ? pcc_load.q / model_q : s.load_scale;
  }
  for (size_t i = 0; i < n; ++i) {
    s.injections[i].p = -(s.load_scale - 1) * m.buses[i].p_load_mw;
    s.injections[i].q = -(s.load_scale_q - 1) * m.buses[i].q_load_mvar;
  }
  std::map<std::string, const DerGroup*> groups;
  for (const DerGroup& g : model.groups) groups[g.name] = &g;
  for (const DerPlacement& d : network.placement) {
    auto it = groups.find(d.group);
    if (it == groups.end()) continue;  // a group of another scenario
    const DerGroup& g = *it->second;
    const DerCapability cap = GroupCapability(g, start, step);
    const double mva = g.sn_mva * d.share;
    const int bus = grid.BusIndex(d.bus);
    const PqPoint op{cap.operating.p * mva, cap.operating.q * mva};
    s.injections[bus].p += op.p;
    s.injections[bus].q += op.q;
    s.der_operating[bus].p += op.p;
    s.der_operating[bus].q += op.q;
    const ConvexPolygon region = cap.region.Scaled(mva);
    s.der_regions[bus] = s.der_regions[bus].empty() ? region : MinkowskiSum(s.der_regions[bus], region);
  }
  return s;
}

namespace {

// Append the bytes of `x` to a cache key.
template <typename T>
void Put(std::string& key, const T& x) {
  key.append(reinterpret_cast<const char*>(&x), sizeof x);
}

// Return the inputs of an area as a cache key: the SHA-256 of every figure
// it depends on, bit for bit, so that equal keys mean equal areas. The
// inputs themselves run to tens of kilobytes (every DER's region); their
// digest keeps a PCC's cache at about 50 kilobytes (docs/OPERATIONS.md).
std::string AreaKey(const RadialGrid* grid, const LoadScale& load_scale, const std::vector<PlacedDer>& ders,
                    const GridAreaOptions& o) {
  std::string key;
  Put(key, grid);
  Put(key, load_scale.p);
  Put(key, load_scale.q);
  Put(key, o.directions);
  Put(key, o.max_shrink_steps);
  Put(key, o.rating_polygon_sides);
  Put(key, o.eliminate_der_free_buses);
  Put(key, o.skip_directions_kept_optimal);
  Put(key, o.voltage_tolerance_pu);
  Put(key, o.loading_tolerance);
  Put(key, o.margins.thermal);
  Put(key, o.margins.voltage_pu);
  for (const PlacedDer& d : ders) {
    Put(key, d.bus);
    Put(key, d.operating);
    Put(key, d.region.vertices().size());
    for (const PqPoint& v : d.region.vertices()) Put(key, v);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), digest, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

GridLimitedFlex FlexOf(const GridAreaResult& area) {
  GridLimitedFlex out;
  out.operating = area.operating;
  out.within_limits = area.operating_within_limits;
  if (!out.within_limits) return out;
  out.area = area.area;
  const Range p = RangeOnLine(out.area, /*along_p=*/true, out.operating.q);
  const Range q = RangeOnLine(out.area, /*along_p=*/false, out.operating.p);
  if (!p.empty()) {
    out.p_up_mw = std::max(0.0, out.operating.p - p.lo);
    out.p_down_mw = std::max(0.0, p.hi - out.operating.p);
  }
  if (!q.empty()) {
    out.q_up_mvar = std::max(0.0, out.operating.q - q.lo);
    out.q_down_mvar = std::max(0.0, q.hi - out.operating.q);
  }
  return out;
}

}  // namespace

const GridLimitedFlex* GridLimitedCache::Find(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  it->second.used = ++clock_;
  ++hits_;
  return &it->second.flex;
}

void GridLimitedCache::Put(const std::string& key, GridLimitedFlex flex) {
  entries_[key] = {std::move(flex), ++clock_};
  while (entries_.size() > capacity_) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                   [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
    entries_.erase(oldest);
  }
}

GridLimitedSeries::GridLimitedSeries(const PccNetwork& network, const PccModel& model, absl::Duration step,
                                     const GridAreaOptions& options, const std::vector<PlacedBaseline>& placed,
                                     GridLimitedCache* cache)
    : network_(network),
      model_(model),
      step_(step),
      options_(options),
      placed_(placed),
      cache_(cache),
      solver_(*network.grid, options) {}

absl::StatusOr<GridLimitedFlex> GridLimitedSeries::At(absl::Time start) {
  const GridState state = GridStateAt(network_, model_, start, step_);
  std::vector<PlacedDer> ders;
  for (size_t bus = 0; bus < state.der_regions.size(); ++bus) {
    if (state.der_regions[bus].empty()) continue;
    ders.push_back({static_cast<int>(bus), state.der_regions[bus], state.der_operating[bus]});
  }
  // A schedule is a fixed injection: a region of one point.
  for (const auto& [bus, injection] : ScheduledInjections(placed_, start, step_)) {
    ders.push_back({bus, ConvexPolygon::Hull({injection}), injection});
  }
  std::string key;
  if (cache_ != nullptr) {
    key = AreaKey(network_.grid.get(), {state.load_scale, state.load_scale_q}, ders, options_);
    if (const GridLimitedFlex* hit = cache_->Find(key)) return *hit;
  }
  auto area = solver_.Compute(LoadScale{state.load_scale, state.load_scale_q}, ders);
  if (!area.ok()) return area.status();
  GridLimitedFlex out = FlexOf(*area);
  if (cache_ != nullptr) cache_->Put(key, out);
  return out;
}

absl::StatusOr<GridLimitedFlex> GridLimitedAt(const PccNetwork& network, const PccModel& model, absl::Time start,
                                              absl::Duration step, const GridAreaOptions& options,
                                              const std::vector<PlacedBaseline>& placed) {
  return GridLimitedSeries(network, model, step, options, placed).At(start);
}

}  // namespace tsodso::core
