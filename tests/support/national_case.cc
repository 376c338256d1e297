#include "support/national_case.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"

namespace tsodso::testing {
namespace fs = std::filesystem;

absl::StatusOr<std::vector<ExtraPcc>> WriteNationalCase(const std::string& dir, int count, unsigned seed) {
  const std::string source = TSODSO_SOURCE_DIR;
  const std::string profiles = source + "/config/profiles/";
  std::mt19937 rng(seed);
  const auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  const auto integer = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<ExtraPcc> pccs;
  for (int i = 1; i <= count; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "N%04d", i);
    const fs::path pcc_dir = fs::path(dir) / id;
    const int feeders = integer(5, 9);
    const double peak_mw = feeders * uniform(3.0, 4.5);
    std::string out, err;
    const int rc =
        RunCommand({BinPath("tsodso-gatewayd"), "grid", "synthesize", "--from", source + "/data/grids", "--from-kv",
                    "12.66", "--feeders", std::to_string(feeders), "--kv", "20", "--peak-mw", std::to_string(peak_mw),
                    "--seed", std::to_string(seed * 100000 + i), "--out", (pcc_dir / "grid").string()},
                   &out, &err);
    if (rc != 0) return absl::InternalError(absl::StrCat("grid synthesize for ", id, " exited ", rc, ": ", err));

    // The DER mix: PV everywhere, the rest at some PCCs; sizes relative to
    // the PCC's load.
    struct Group {
      std::string name, cls;
      double sn_mva;
      int units;
      std::string profile;
    };
    std::vector<Group> groups = {
        {"pv", "pv", peak_mw * uniform(0.1, 0.6), integer(50, 500), "{csv: \"" + profiles + "pv.csv\"}"}};
    if (uniform(0, 1) < 0.6) {
      groups.push_back(
          {"chp", "chp", peak_mw * uniform(0.05, 0.3), integer(1, 6), "{csv: \"" + profiles + "chp.csv\"}"});
    }
    if (uniform(0, 1) < 0.3) {
      groups.push_back(
          {"hydro", "hydro_ror", uniform(0.2, 3), integer(1, 3), "{csv: \"" + profiles + "hydro-ror.csv\"}"});
    }
    if (uniform(0, 1) < 0.3)
      groups.push_back({"wind", "wind", peak_mw * uniform(0.05, 0.3), integer(2, 10), "{constant: 0.3}"});
    if (uniform(0, 1) < 0.5)
      groups.push_back({"bess", "bess", peak_mw * uniform(0.02, 0.1), integer(1, 20), "{constant: 0.5}"});

    const std::string scenario = (pcc_dir / "scenario.yaml").string();
    std::ofstream sc(scenario);
    sc << "description: \"synthetic PCC " << id << "\"\ninterval_minutes: 15\n"
       << "load: {profile: \"" << profiles << "pcc-load.csv\", peak_mw: " << peak_mw << ", power_factor: 0.95}\n"
       << "groups:\n";
    for (const Group& g : groups) {
      sc << "  - {name: " << g.name << ", class: " << g.cls << ", sn_mva: " << g.sn_mva << ", units: " << g.units
         << ", profile: " << g.profile << "}\n";
    }
    // Each group spread evenly over a few buses of its own.
    std::ofstream placement(pcc_dir / "grid" / "der-placement.csv");
    placement.precision(15);  // the shares must sum to 1 within 1e-6
    placement << "group,bus,share\n";
    for (const Group& g : groups) {
      const int buses = integer(3, 8);
      for (int b = 0; b < buses; ++b) {
        placement << g.name << ",F" << integer(1, feeders) << "-" << integer(2, 33) << "," << 1.0 / buses << "\n";
      }
    }
    // The PCC's transformers as one equivalent, rated with headroom over
    // the peak load.
    std::ofstream(pcc_dir / "grid" / "model.yaml", std::ios::app)
        << "der_placement: der-placement.csv\ntransformer: {rating_mva: " << 2 * peak_mw
        << ", r_pct: 0.3, x_pct: 12}\n";
    if (!sc.flush() || !placement.flush()) return absl::InternalError(absl::StrCat("cannot write ", pcc_dir.string()));
    pccs.push_back({id, scenario, (pcc_dir / "grid").string()});
  }
  return pccs;
}

}  // namespace tsodso::testing
