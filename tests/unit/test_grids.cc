#include "test_grids.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/grid/grid_csv.h"

namespace tsodso::testing {
namespace fs = std::filesystem;
namespace {

absl::StatusOr<core::GridTable> ReadTable(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  return core::GridTable{ss.str(), path};
}

absl::StatusOr<core::RadialGrid> Load(const std::string& buses_path, const std::string& branches_path,
                                      const core::GridDescription& description, const std::string& dir) {
  auto buses = ReadTable(buses_path);
  if (!buses.ok()) return buses.status();
  auto branches = ReadTable(branches_path);
  if (!branches.ok()) return branches.status();
  return core::GridFromTables(*buses, *branches, description, dir);
}

}  // namespace

absl::StatusOr<core::RadialGrid> LoadGridTables(const std::string& dir, double nominal_kv) {
  std::string buses, branches;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, "buses.csv")) buses = entry.path().string();
    if (absl::EndsWith(name, "branches.csv")) branches = entry.path().string();
  }
  if (ec || buses.empty() || branches.empty()) {
    return absl::NotFoundError(absl::StrCat(dir, ": no *buses.csv and *branches.csv"));
  }
  core::GridDescription description;
  description.name = fs::path(dir).filename().string();
  description.defaults.v_nom_kv = nominal_kv;
  return Load(buses, branches, description, dir);
}

absl::StatusOr<core::RadialGrid> LoadPsSudGrid() {
  const std::string dir = std::string(TSODSO_SOURCE_DIR) + "/config/grids/ps-sud";
  core::GridDescription d;
  d.name = "Milano PS Sud, synthetic 23 kV network: 8 feeders derived from the IEEE 33-bus feeder";
  d.defaults.v_nom_kv = 23;
  d.slack_bus = "PS";
  d.slack_voltage_pu = 1.04;
  d.base_mva = 18;
  d.transformer = {.rating_mva = 376, .r_pct = 0.3, .x_pct = 12};
  return Load(dir + "/buses.csv", dir + "/branches.csv", d, dir);
}

core::PccModel ConstantLoadModel(double mw) {
  core::PccModel m;
  m.pcc_id = "PS_TEST";
  m.load_mw = [mw](absl::Time) { return mw; };
  m.load_pf = 1.0;
  return m;
}

core::RadialGrid TinyGrid() {
  core::GridModel m;
  m.slack_bus = "S";
  m.base_mva = 10;
  m.buses = {{"S", 20, 0.9, 1.1, 0, 0}, {"A", 20, 0.9, 1.1, 1, 0.3}, {"B", 20, 0.9, 1.1, 1, 0.3}};
  m.branches = {{"S", "A", 0.5, 0.5, 400, true}, {"A", "B", 0.5, 0.5, 60, true}};
  auto grid = core::RadialGrid::Build(m, "tiny");
  EXPECT_TRUE(grid.ok()) << grid.status();
  return std::move(*grid);
}

core::PccNetwork TinyPccNetwork() {
  core::PccNetwork net;
  net.pcc_id = "PS_TEST";
  net.grid = std::make_shared<const core::RadialGrid>(TinyGrid());
  return net;
}

}  // namespace tsodso::testing
