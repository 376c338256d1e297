#include "app/grid_commands.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "app/grid_files.h"
#include "core/grid/power_flow.h"

namespace tsodso::app {
namespace fs = std::filesystem;

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
