#include "app/grid_commands.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "app/text_file.h"
#include "core/common/csv.h"
#include "core/grid/power_flow.h"

namespace tsodso::app {
namespace fs = std::filesystem;

namespace {

// What model.yaml says (or, without one, what the directory holds).
struct ModelFiles {
  std::string name, buses, branches, placement, resources, slack;
  core::GridCsvDefaults defaults;
  double slack_v = 1.0, base_mva = 10.0;
  // The HV/MV transformer(s) at the PCC, as one equivalent; 0: not modelled.
  double trafo_mva = 0, trafo_r_pct = 0, trafo_x_pct = 0;
};

absl::StatusOr<ModelFiles> ReadModelFiles(const std::string& dir, double nominal_kv) {
  ModelFiles f;
  f.name = fs::path(dir).filename().string();
  f.defaults.v_nom_kv = nominal_kv;
  const fs::path yaml = fs::path(dir) / "model.yaml";
  if (!fs::exists(yaml)) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (absl::EndsWith(name, "buses.csv")) f.buses = entry.path().string();
      if (absl::EndsWith(name, "branches.csv")) f.branches = entry.path().string();
    }
    if (ec || f.buses.empty() || f.branches.empty()) {
      return absl::NotFoundError(absl::StrCat(dir, ": no model.yaml, nor a *buses.csv and a *branches.csv"));
    }
    return f;
  }
  const auto unknown = [&](const YAML::Node& n, std::initializer_list<const char*> keys,
                           const std::string& prefix) -> absl::Status {
    for (const auto& kv : n) {
      const std::string key = kv.first.as<std::string>();
      if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; })) {
        return absl::InvalidArgumentError(absl::StrCat(yaml.string(), ": unknown key '", prefix, key, "'"));
      }
    }
    return absl::OkStatus();
  };
  const auto file = [&](const YAML::Node& n) { return (fs::path(dir) / n.as<std::string>()).string(); };
  try {
    const YAML::Node n = YAML::LoadFile(yaml.string());
    if (auto st = unknown(n,
                          {"name", "buses", "branches", "nominal_kv", "slack_bus", "slack_voltage_pu", "base_mva",
                           "v_min_pu", "v_max_pu", "transformer", "der_placement", "resources"},
                          "");
        !st.ok()) {
      return st;
    }
    if (n["name"]) f.name = n["name"].as<std::string>();
    f.buses = file(n["buses"]);
    f.branches = file(n["branches"]);
    if (n["der_placement"]) f.placement = file(n["der_placement"]);
    if (n["resources"]) f.resources = file(n["resources"]);
    if (n["nominal_kv"]) f.defaults.v_nom_kv = n["nominal_kv"].as<double>();
    if (n["slack_bus"]) f.slack = n["slack_bus"].as<std::string>();
    if (n["slack_voltage_pu"]) f.slack_v = n["slack_voltage_pu"].as<double>();
    if (n["base_mva"]) f.base_mva = n["base_mva"].as<double>();
    if (n["v_min_pu"]) f.defaults.v_min_pu = n["v_min_pu"].as<double>();
    if (n["v_max_pu"]) f.defaults.v_max_pu = n["v_max_pu"].as<double>();
    if (const YAML::Node t = n["transformer"]) {
      if (auto st = unknown(t, {"rating_mva", "r_pct", "x_pct"}, "transformer."); !st.ok()) return st;
      f.trafo_mva = t["rating_mva"].as<double>();
      f.trafo_r_pct = t["r_pct"].as<double>();
      f.trafo_x_pct = t["x_pct"].as<double>();
      if (!(f.trafo_mva > 0) || !(f.trafo_r_pct > 0) || !(f.trafo_x_pct > 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat(yaml.string(), ": transformer: rating_mva, r_pct and x_pct must be positive"));
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(yaml.string(), ": line ", e.mark.line + 1, ": ", e.msg));
  }
  return f;
}

// Put the PCC transformer between a new slack bus "<busbar>-HV" (its HV
// side, referred to the MV voltage) and the MV busbar, with its rating.
absl::Status AddTransformer(const std::string& dir, const ModelFiles& f, core::GridModel& m) {
  const std::string busbar = m.slack_bus;
  auto it = std::find_if(m.buses.begin(), m.buses.end(), [&](const core::Bus& b) { return b.id == busbar; });
  if (it == m.buses.end() || !(it->v_nom_kv > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(dir, "/model.yaml: slack_bus: '", busbar, "' is not a bus of ",
                                                   f.buses, " with a nominal voltage"));
  }
  const double kv = it->v_nom_kv;
  const double z_base = kv * kv / f.trafo_mva;
  core::Bus hv;
  hv.id = busbar + "-HV";
  hv.v_nom_kv = kv;
  hv.v_min_pu = 0;  // the TSO's voltage, not the DSO's band
  hv.v_max_pu = 10;
  m.buses.push_back(hv);  // last, so that the model's rows keep their numbers in messages
  core::Branch t;
  t.from = hv.id;
  t.to = busbar;
  t.r_ohm = f.trafo_r_pct / 100 * z_base;
  t.x_ohm = f.trafo_x_pct / 100 * z_base;
  t.rating_a = f.trafo_mva * 1000 / (std::sqrt(3.0) * kv);
  m.branches.push_back(t);
  m.slack_bus = hv.id;
  return absl::OkStatus();
}

absl::StatusOr<core::RadialGrid> BuildGrid(const std::string& dir, const ModelFiles& f) {
  auto buses = ReadTextFile(f.buses);
  if (!buses.ok()) return buses.status();
  auto branches = ReadTextFile(f.branches);
  if (!branches.ok()) return branches.status();
  auto model = core::GridFromCsv(*buses, f.buses, *branches, f.branches, f.defaults);
  if (!model.ok()) return model.status();
  model->name = f.name;
  if (!f.slack.empty()) model->slack_bus = f.slack;
  model->slack_voltage_pu = f.slack_v;
  model->base_mva = f.base_mva;
  if (f.trafo_mva > 0) {
    if (auto st = AddTransformer(dir, f, *model); !st.ok()) return st;
  }
  return core::RadialGrid::Build(std::move(*model), dir);
}

absl::StatusOr<std::vector<core::DerPlacement>> ReadPlacement(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  const core::Csv csv = core::ParseCsv(*text);
  std::vector<core::DerPlacement> out;
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    core::DerPlacement d;
    if (auto st = core::TextField(csv, i, "group", true, &d.group, path); !st.ok()) return st;
    if (auto st = core::TextField(csv, i, "bus", true, &d.bus, path); !st.ok()) return st;
    if (auto st = core::Field(csv, i, "share", true, 0, &d.share, path); !st.ok()) return st;
    out.push_back(d);
  }
  return out;
}

// Read the DER registry of a PCC: resource_id, bus, type, sn_mva, p_min_mw,
// p_max_mw, q_min_mvar, q_max_mvar (the connection agreement).
absl::Status ReadAssets(const std::string& path, const std::string& pcc_id, const core::RadialGrid& grid,
                        std::map<std::string, core::RegisteredAsset>& assets) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  const core::Csv csv = core::ParseCsv(*text);
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    core::RegisteredAsset a;
    a.pcc_id = pcc_id;
    if (auto st = core::TextField(csv, i, "resource_id", true, &a.id, path); !st.ok()) return st;
    if (auto st = core::TextField(csv, i, "bus", true, &a.bus, path); !st.ok()) return st;
    if (auto st = core::TextField(csv, i, "type", true, &a.type, path); !st.ok()) return st;
    core::AssetRatings& r = a.agreement;
    for (auto [name, out] :
         {std::pair{"sn_mva", &r.sn_mva}, std::pair{"p_min_mw", &r.p_min_mw}, std::pair{"p_max_mw", &r.p_max_mw},
          std::pair{"q_min_mvar", &r.q_min_mvar}, std::pair{"q_max_mvar", &r.q_max_mvar}}) {
      if (auto st = core::Field(csv, i, name, true, 0, out, path); !st.ok()) return st;
    }
    const std::string row = absl::StrCat(path, ": row ", i + 2, ": ");
    if (grid.BusIndex(a.bus) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(row, "bus: '", a.bus, "' is not in the network model"));
    }
    if (!core::IsAssetType(a.type)) {
      return absl::InvalidArgumentError(absl::StrCat(row, "type: '", a.type, "' is not a known asset type"));
    }
    if (auto st = core::CheckRatings(r, absl::StrCat(row, a.id)); !st.ok()) return st;
    if (!assets.emplace(a.id, a).second) {
      return absl::InvalidArgumentError(absl::StrCat(row, "resource_id: '", a.id, "' is registered twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<core::RadialGrid> LoadGrid(const std::string& dir, double nominal_kv) {
  auto files = ReadModelFiles(dir, nominal_kv);
  if (!files.ok()) return files.status();
  return BuildGrid(dir, *files);
}

absl::StatusOr<core::GridCatalog> LoadGridCatalog(const std::map<std::string, std::string>& model_dirs,
                                                  const core::FlexCatalog& flex) {
  core::GridCatalog catalog;
  for (const auto& [pcc, dir] : model_dirs) {
    auto files = ReadModelFiles(dir, 0);
    if (!files.ok()) return files.status();
    auto grid = BuildGrid(dir, *files);
    if (!grid.ok()) return grid.status();
    core::PccNetwork net;
    net.pcc_id = pcc;
    net.grid = std::make_shared<const core::RadialGrid>(std::move(*grid));
    if (!files->placement.empty()) {
      auto placement = ReadPlacement(files->placement);
      if (!placement.ok()) return placement.status();
      net.placement = std::move(*placement);
    }
    net.placement_source = files->placement.empty() ? dir + " (no der_placement)" : files->placement;
    if (!files->resources.empty()) {
      if (auto st = ReadAssets(files->resources, pcc, *net.grid, catalog.assets); !st.ok()) return st;
    }
    catalog.networks[pcc] = std::move(net);
  }
  if (auto st = CheckPlacements(catalog, flex); !st.ok()) return st;
  return catalog;
}

absl::Status CheckPlacements(const core::GridCatalog& grids, const core::FlexCatalog& flex) {
  for (const auto& [pcc, net] : grids.networks) {
    // The flexibility scenario gives the network its operating point.
    auto by_pcc = flex.by_pcc.find(pcc);
    if (by_pcc == flex.by_pcc.end() || !by_pcc->second.count(core::kCurrentScenario)) {
      return absl::InvalidArgumentError(absl::StrCat("grid.pccs.", pcc, ": PCC ", pcc,
                                                     " has a network model but no flexibility scenario 'current' "
                                                     "(flexibility.pccs), which gives its operating point"));
    }
    for (const auto& [name, scenario] : by_pcc->second) {
      if (auto st = core::CheckPlacement(net, scenario.model, net.placement_source); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

absl::Status WriteGrid(const core::GridModel& m, const std::string& out_dir) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", out_dir, ": ", ec.message()));
  std::ofstream buses(fs::path(out_dir) / "buses.csv");
  buses << "bus,p_load_kw,q_load_kvar,v_nom_kv,v_min_pu,v_max_pu\n";
  for (const auto& b : m.buses) {
    buses << b.id << "," << b.p_load_mw * 1000 << "," << b.q_load_mvar * 1000 << "," << b.v_nom_kv << "," << b.v_min_pu
          << "," << b.v_max_pu << "\n";
  }
  std::ofstream branches(fs::path(out_dir) / "branches.csv");
  branches << "from_bus,to_bus,r_ohm,x_ohm,rating_a,in_service\n";
  for (const auto& b : m.branches) {
    branches << b.from << "," << b.to << "," << b.r_ohm << "," << b.x_ohm << "," << b.rating_a << ","
             << (b.in_service ? 1 : 0) << "\n";
  }
  std::ofstream yaml(fs::path(out_dir) / "model.yaml");
  yaml << "# DSO-PRIVATE network model. Written by `tsodso-gatewayd grid synthesize`.\n"
       << "name: \"" << m.name << "\"\nbuses: buses.csv\nbranches: branches.csv\n"
       << "nominal_kv: " << m.buses.front().v_nom_kv << "\nslack_bus: \"" << m.slack_bus << "\"\n"
       << "slack_voltage_pu: " << m.slack_voltage_pu << "\nbase_mva: " << m.base_mva << "\n";
  if (!buses.flush() || !branches.flush() || !yaml.flush()) {
    return absl::InternalError(absl::StrCat("cannot write the model into ", out_dir));
  }
  return absl::OkStatus();
}

int GridSynthesize(const std::string& from_dir, double from_kv, const core::SynthesisOptions& options,
                   const std::string& out_dir) {
  auto base = LoadGrid(from_dir, from_kv);
  if (!base.ok()) {
    std::fprintf(stderr, "tsodso-gatewayd: %s\n", std::string(base.status().message()).c_str());
    return 2;
  }
  auto model = core::SynthesizeFeeders(*base, options);
  if (!model.ok()) {
    std::fprintf(stderr, "tsodso-gatewayd: %s\n", std::string(model.status().message()).c_str());
    return 1;
  }
  if (auto st = WriteGrid(*model, out_dir); !st.ok()) {
    std::fprintf(stderr, "tsodso-gatewayd: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  std::printf("wrote %s: %zu buses, %zu branches into %s\n", model->name.c_str(), model->buses.size(),
              model->branches.size(), out_dir.c_str());
  return 0;
}

int GridCheck(const std::string& dir, double nominal_kv) {
  auto grid = LoadGrid(dir, nominal_kv);
  if (!grid.ok()) {
    std::fprintf(stderr, "tsodso-gatewayd: %s\n", std::string(grid.status().message()).c_str());
    return 2;
  }
  const core::GridModel& m = grid->model();
  size_t in_service = 0;
  double load_p = 0, load_q = 0;
  for (const auto& b : m.branches) in_service += b.in_service;
  for (const auto& b : m.buses) load_p += b.p_load_mw, load_q += b.q_load_mvar;
  std::printf("model %s: %zu buses, %zu branches (%zu in service), load %.4f MW / %.4f Mvar, slack bus %s at %.4f pu\n",
              m.name.c_str(), m.buses.size(), m.branches.size(), in_service, load_p, load_q, m.slack_bus.c_str(),
              m.slack_voltage_pu);
  core::PowerFlowOptions options;
  auto pf = core::SolvePowerFlow(*grid, nullptr, options);
  if (!pf.ok()) {
    std::printf("power flow: %s\n", std::string(pf.status().message()).c_str());
    return 1;
  }
  std::printf("power flow converged in %d sweeps (tolerance %g pu)\n", pf->iterations, options.tolerance_pu);
  std::printf("total losses: %.2f kW, %.2f kvar\n", pf->loss_p_mw * 1000, pf->loss_q_mvar * 1000);
  std::printf("supplied through the slack: %.4f MW, %.4f Mvar\n", pf->slack_mva.real(), pf->slack_mva.imag());
  std::printf("minimum voltage: %.5f pu at bus %s (band %.2f-%.2f)\n", pf->min_v_pu, m.buses[pf->min_v_bus].id.c_str(),
              m.buses[pf->min_v_bus].v_min_pu, m.buses[pf->min_v_bus].v_max_pu);
  std::printf("maximum voltage: %.5f pu at bus %s\n", pf->max_v_pu, m.buses[pf->max_v_bus].id.c_str());
  if (pf->max_loading_branch >= 0) {
    const auto& b = m.branches[pf->max_loading_branch];
    std::printf("most loaded branch: %s-%s at %.1f %% of its %.0f A rating (%.1f A)\n", b.from.c_str(), b.to.c_str(),
                100 * pf->branch_loading[pf->max_loading_branch], b.rating_a,
                pf->branch_current_a[pf->max_loading_branch]);
  } else if (pf->max_current_branch >= 0) {
    const auto& b = m.branches[pf->max_current_branch];
    std::printf("most loaded branch: %s-%s carries %.1f A (the model gives no ratings)\n", b.from.c_str(), b.to.c_str(),
                pf->branch_current_a[pf->max_current_branch]);
  }
  int violations = 0;
  for (size_t i = 0; i < m.buses.size(); ++i) {
    const double v = std::abs(pf->v_pu[i]);
    violations += v < m.buses[i].v_min_pu || v > m.buses[i].v_max_pu;
  }
  for (double l : pf->branch_loading) violations += l > 1;
  std::printf("limit violations: %d\n", violations);
  return 0;
}

}  // namespace tsodso::app
