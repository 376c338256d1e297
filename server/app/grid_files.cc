#include "app/grid_files.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "app/yaml_reader.h"
#include "core/common/csv.h"
#include "core/common/status_macros.h"
#include "core/common/text_file.h"
#include "core/grid/grid_csv.h"

namespace tsodso::app {
namespace fs = std::filesystem;

namespace {

// What model.yaml says (or, without one, what the directory holds).
struct ModelFiles {
  std::string buses, branches, placement, resources;
  core::GridDescription description;
};

absl::StatusOr<ModelFiles> ReadModelFiles(const std::string& dir, double nominal_kv) {
  ModelFiles f;
  f.description.name = fs::path(dir).filename().string();
  f.description.defaults.v_nom_kv = nominal_kv;
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
  // The tables the description names sit in the model's directory.
  const auto file = [&](YamlSection& s, const std::string& key, std::string* out, bool required) -> absl::Status {
    std::string name;
    TSODSO_RETURN_IF_ERROR(s.String(key, &name, required));
    if (!name.empty()) *out = (fs::path(dir) / name).string();
    return absl::OkStatus();
  };
  try {
    YamlSection n(YAML::LoadFile(yaml.string()), "", yaml.string());
    TSODSO_RETURN_IF_ERROR(n.CheckIsMap());
    core::GridDescription& d = f.description;
    TSODSO_RETURN_IF_ERROR(n.String("name", &d.name));
    TSODSO_RETURN_IF_ERROR(file(n, "buses", &f.buses, true));
    TSODSO_RETURN_IF_ERROR(file(n, "branches", &f.branches, true));
    TSODSO_RETURN_IF_ERROR(file(n, "der_placement", &f.placement, false));
    TSODSO_RETURN_IF_ERROR(file(n, "resources", &f.resources, false));
    TSODSO_RETURN_IF_ERROR(n.Double("nominal_kv", &d.defaults.v_nom_kv));
    TSODSO_RETURN_IF_ERROR(n.String("slack_bus", &d.slack_bus));
    TSODSO_RETURN_IF_ERROR(n.Double("slack_voltage_pu", &d.slack_voltage_pu));
    TSODSO_RETURN_IF_ERROR(n.Double("base_mva", &d.base_mva));
    TSODSO_RETURN_IF_ERROR(n.Double("v_min_pu", &d.defaults.v_min_pu));
    TSODSO_RETURN_IF_ERROR(n.Double("v_max_pu", &d.defaults.v_max_pu));
    if (n.Has("transformer")) {
      YamlSection t = n.Sub("transformer");
      TSODSO_RETURN_IF_ERROR(t.CheckIsMap());
      core::PccTransformer& trafo = d.transformer;
      TSODSO_RETURN_IF_ERROR(t.Double("rating_mva", &trafo.rating_mva, true));
      TSODSO_RETURN_IF_ERROR(t.Double("r_pct", &trafo.r_pct, true));
      TSODSO_RETURN_IF_ERROR(t.Double("x_pct", &trafo.x_pct, true));
      TSODSO_RETURN_IF_ERROR(t.Finish());
      if (!(trafo.rating_mva > 0) || !(trafo.r_pct > 0) || !(trafo.x_pct > 0)) {
        return t.Error("transformer", "rating_mva, r_pct and x_pct must be positive");
      }
    }
    TSODSO_RETURN_IF_ERROR(n.Finish());
  } catch (const YAML::Exception& e) {
    return YamlSyntaxError(yaml.string(), e);
  }
  return f;
}

absl::StatusOr<core::RadialGrid> BuildGrid(const std::string& dir, const ModelFiles& f) {
  auto buses = core::ReadTextFile(f.buses);
  if (!buses.ok()) return buses.status();
  auto branches = core::ReadTextFile(f.branches);
  if (!branches.ok()) return branches.status();
  return core::GridFromTables({std::move(*buses), f.buses}, {std::move(*branches), f.branches}, f.description, dir);
}

absl::StatusOr<std::vector<core::DerPlacement>> ReadPlacement(const std::string& path) {
  auto text = core::ReadTextFile(path);
  if (!text.ok()) return text.status();
  const core::Csv csv = core::ParseCsv(*text);
  std::vector<core::DerPlacement> out;
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    core::DerPlacement d;
    TSODSO_RETURN_IF_ERROR(core::TextField(csv, i, "group", true, &d.group, path));
    TSODSO_RETURN_IF_ERROR(core::TextField(csv, i, "bus", true, &d.bus, path));
    TSODSO_RETURN_IF_ERROR(core::Field(csv, i, "share", true, 0, &d.share, path));
    out.push_back(d);
  }
  return out;
}

// Read the DER registry of a PCC: resource_id, bus, type, sn_mva, p_min_mw,
// p_max_mw, q_min_mvar, q_max_mvar (the connection agreement).
absl::Status ReadAssets(const std::string& path, const std::string& pcc_id, const core::RadialGrid& grid,
                        std::map<std::string, core::RegisteredAsset>& assets) {
  auto text = core::ReadTextFile(path);
  if (!text.ok()) return text.status();
  const core::Csv csv = core::ParseCsv(*text);
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    core::RegisteredAsset a;
    a.pcc_id = pcc_id;
    TSODSO_RETURN_IF_ERROR(core::TextField(csv, i, "resource_id", true, &a.id, path));
    TSODSO_RETURN_IF_ERROR(core::TextField(csv, i, "bus", true, &a.bus, path));
    TSODSO_RETURN_IF_ERROR(core::TextField(csv, i, "type", true, &a.type, path));
    core::AssetRatings& r = a.agreement;
    for (auto [name, out] :
         {std::pair{"sn_mva", &r.sn_mva}, std::pair{"p_min_mw", &r.p_min_mw}, std::pair{"p_max_mw", &r.p_max_mw},
          std::pair{"q_min_mvar", &r.q_min_mvar}, std::pair{"q_max_mvar", &r.q_max_mvar}}) {
      TSODSO_RETURN_IF_ERROR(core::Field(csv, i, name, true, 0, out, path));
    }
    const std::string row = absl::StrCat(path, ": row ", i + 2, ": ");
    if (grid.BusIndex(a.bus) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(row, "bus: '", a.bus, "' is not in the network model"));
    }
    if (!core::IsAssetType(a.type)) {
      return absl::InvalidArgumentError(absl::StrCat(row, "type: '", a.type, "' is not a known asset type"));
    }
    TSODSO_RETURN_IF_ERROR(core::CheckRatings(r, absl::StrCat(row, a.id)));
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
                                                  const core::FlexCatalog& flex, const core::SecurityMargins& margins) {
  core::GridCatalog catalog;
  catalog.margins = margins;
  for (const auto& [pcc, dir] : model_dirs) {
    auto files = ReadModelFiles(dir, 0);
    if (!files.ok()) return files.status();
    auto grid = BuildGrid(dir, *files);
    if (!grid.ok()) return grid.status();
    if (absl::Status s = core::CheckLimitOptions(core::WithMargins(margins), grid->model()); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(dir, ": ", s.message()));
    }
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
      TSODSO_RETURN_IF_ERROR(ReadAssets(files->resources, pcc, *net.grid, catalog.assets));
    }
    catalog.networks[pcc] = std::move(net);
  }
  TSODSO_RETURN_IF_ERROR(CheckPlacements(catalog, flex));
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
      TSODSO_RETURN_IF_ERROR(core::CheckPlacement(net, scenario.model, net.placement_source));
    }
  }
  return absl::OkStatus();
}

}  // namespace tsodso::app
