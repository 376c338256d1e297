// tsodso flex: a PCC's flexibility per interval as a table, CSV or JSON,
// and optionally its P-Q picture as SVG.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/call.h"
#include "cli/command.h"
#include "cli/format.h"
#include "cli/time_input.h"
#include "core/capability/polygon.h"
#include "lib/pq_chart.h"

namespace tsodso::cli {
namespace {

void PrintCsv(const v1::GetFlexibilityResponse& r, bool grid) {
  std::cout << "start,end,p_mw,q_mvar,p_up_mw,p_down_mw,q_up_mvar,q_down_mvar"
            << (grid ? ",grid_p_up_mw,grid_p_down_mw,grid_q_up_mvar,grid_q_down_mvar" : "")
            << ",scheduled_p_mw,scheduled_q_mvar\n";
  for (const auto& i : r.intervals()) {
    std::cout << Time(i.start()) << "," << Time(i.end()) << "," << i.operating_point().p_mw() << ","
              << i.operating_point().q_mvar() << "," << i.p_up_mw() << "," << i.p_down_mw() << "," << i.q_up_mvar()
              << "," << i.q_down_mvar();
    const auto& g = i.grid_limited();
    if (grid) std::cout << "," << g.p_up_mw() << "," << g.p_down_mw() << "," << g.q_up_mvar() << "," << g.q_down_mvar();
    std::cout << "," << i.scheduled().p_mw() << "," << i.scheduled().q_mvar() << "\n";
  }
}

void PrintTable(const v1::GetFlexibilityResponse& r, bool grid) {
  std::printf("PCC %s, scenario %s, %d-minute intervals (MW / Mvar; load convention, up = less import)\n",
              r.pcc_id().c_str(), r.scenario().c_str(), r.interval_minutes());
  if (!r.breakdown_note().empty()) std::printf("note: %s\n", r.breakdown_note().c_str());
  if (grid) std::printf("grid: what the DSO's network lets the DERs do (\"!\": the operating point breaks a limit)\n");
  // The aggregators' schedules, when any, are part of P and Q; the column
  // says by how much.
  const bool scheduled = std::any_of(r.intervals().begin(), r.intervals().end(),
                                     [](const v1::FlexibilityInterval& i) { return i.has_scheduled(); });
  if (scheduled) std::printf("P and Q include the aggregators' schedules (sched P)\n");
  std::printf("%-22s %9s %9s %8s %8s %8s %8s", "start", "P", "Q", "P up", "P down", "Q up", "Q down");
  if (scheduled) std::printf(" %8s", "sched P");
  if (grid) std::printf(" | %8s %8s %8s %8s", "grid Pup", "Pdown", "Qup", "Qdown");
  std::printf("\n");
  for (const auto& i : r.intervals()) {
    std::printf("%-22s %9.2f %9.2f %8.2f %8.2f %8.2f %8.2f", Time(i.start()).c_str(), i.operating_point().p_mw(),
                i.operating_point().q_mvar(), i.p_up_mw(), i.p_down_mw(), i.q_up_mvar(), i.q_down_mvar());
    if (scheduled) std::printf(" %8.2f", i.scheduled().p_mw());
    const auto& g = i.grid_limited();
    if (grid) {
      std::printf(" | %8.2f %8.2f %8.2f %8.2f%s", g.p_up_mw(), g.p_down_mw(), g.q_up_mvar(), g.q_down_mvar(),
                  g.operating_point_within_limits() ? "" : " !");
    }
    std::printf("\n");
  }
}

class FlexCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    auto* flex = app.add_subcommand("flex", "PCC flexibility per interval: P/Q up and down, operating point");
    flex->add_option("--pcc", pcc_, "PCC id")->required();
    flex->add_option("--from", from_, "RFC 3339 UTC start")->required();
    flex->add_option("--to", to_, "RFC 3339 UTC end (exclusive)")->required();
    flex->add_option("--scenario", scenario_, "planning scenario (e.g. 2030); default the current one");
    flex->add_flag("--csv", csv_, "print CSV");
    flex->add_flag("--grid", grid_, "also what the DSO's network lets the DERs do (windows up to 48 h)");
    flex->add_option("--svg", svg_file_, "also draw the P-Q picture into this SVG file");
    flex->add_option("--at", at_, "interval whose flexibility area the SVG shows (default: the first)");
    return flex;
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    v1::GetFlexibilityRequest req;
    req.set_pcc_id(pcc_);
    req.set_scenario(scenario_);
    req.set_include_grid_limited(grid_);
    if (auto st = ParseTimeOption("--from", from_, req.mutable_from()); !st.ok()) return Fail(st);
    if (auto st = ParseTimeOption("--to", to_, req.mutable_to()); !st.ok()) return Fail(st);
    auto r = client.GetFlexibility(req);
    if (!r.ok()) return Fail(r.status());
    if (global.json) {
      for (const auto& i : r->intervals()) std::cout << Json(i) << "\n";
    } else if (csv_) {
      PrintCsv(*r, grid_);
    } else {
      PrintTable(*r, grid_);
    }
    std::cout.flush();
    if (!svg_file_.empty()) {
      if (auto st = WriteSvg(client, req, *r); !st.ok()) return Fail(st);
    }
    return 0;
  }

 private:
  // Draw the horizon's capability boundary, the hull of every interval's
  // area, fetched with vertices a week at a time; OK when written.
  absl::Status WriteSvg(client::Client& client, const v1::GetFlexibilityRequest& req,
                        const v1::GetFlexibilityResponse& r) {
    client::PqChart chart;
    chart.title = "PCC " + pcc_ + " (" + r.scenario() + "): " + from_ + " to " + to_;
    for (const auto& i : r.intervals()) {
      chart.operating_points.emplace_back(i.operating_point().p_mw(), i.operating_point().q_mvar());
    }
    google::protobuf::Timestamp at_ts = req.from();
    if (!at_.empty()) {
      if (auto st = ParseTimeOption("--at", at_, &at_ts); !st.ok()) return st;
    }
    // The geometry is the gateway's own: the same convex hull.
    std::vector<core::PqPoint> all;
    const int64_t week = 7 * 24 * 3600;
    for (int64_t s = req.from().seconds(); s < req.to().seconds(); s += week) {
      v1::GetFlexibilityRequest chunk = req;
      chunk.mutable_from()->set_seconds(s);
      chunk.mutable_from()->set_nanos(0);
      if (s + week < req.to().seconds()) {
        chunk.mutable_to()->set_seconds(s + week);
        chunk.mutable_to()->set_nanos(0);
      }
      chunk.set_include_vertices(true);
      chunk.set_include_grid_limited(false);
      auto part = client.GetFlexibility(chunk);
      if (!part.ok()) return part.status();
      for (const auto& i : part->intervals()) {
        std::vector<std::pair<double, double>> area;
        for (const auto& v : i.vertices()) area.emplace_back(v.p_mw(), v.q_mvar());
        const bool chosen = i.start().seconds() <= at_ts.seconds() && at_ts.seconds() < i.end().seconds();
        if (chosen) {
          chart.interval_area = area;
          chart.interval_operating = {i.operating_point().p_mw(), i.operating_point().q_mvar()};
          chart.interval_label = Time(i.start());
        }
        for (const auto& [p, q] : area) all.push_back({p, q});
      }
      all = core::ConvexPolygon::Hull(std::move(all)).vertices();
    }
    for (const auto& v : all) chart.capability_boundary.emplace_back(v.p, v.q);
    std::ofstream out(svg_file_);
    out << client::RenderSvg(chart);
    if (!out.flush()) return absl::UnavailableError("cannot write " + svg_file_);
    std::fprintf(stderr, "tsodso: wrote %s\n", svg_file_.c_str());
    return absl::OkStatus();
  }

  std::string pcc_, from_, to_, scenario_, svg_file_, at_;
  bool csv_ = false;
  bool grid_ = false;
};

}  // namespace

std::unique_ptr<Command> NewFlexCommand() { return std::make_unique<FlexCommand>(); }

}  // namespace tsodso::cli
