// tsodso forecast: a PCC's day-ahead or intraday forecast with its P10-P90
// band as a table, CSV or JSON, and optionally as SVG.
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>

#include "absl/strings/str_format.h"
#include "cli/call.h"
#include "cli/command.h"
#include "cli/format.h"
#include "cli/time_input.h"
#include "lib/forecast_chart.h"

namespace tsodso::cli {
namespace {

void PrintCsv(const v1::Forecast& r) {
  std::cout << "start,end,p10_mw,p50_mw,p90_mw,q10_mvar,q50_mvar,q90_mvar,p_up_mw,p_down_mw,q_up_mvar,"
               "q_down_mvar,scheduled_p_mw,outlook,measured_p_mw\n";
  for (const auto& i : r.intervals()) {
    std::cout << Time(i.start()) << "," << Time(i.end()) << "," << i.p_mw().p10() << "," << i.p_mw().p50() << ","
              << i.p_mw().p90() << "," << i.q_mvar().p10() << "," << i.q_mvar().p50() << "," << i.q_mvar().p90() << ","
              << i.p_up_mw().p50() << "," << i.p_down_mw().p50() << "," << i.q_up_mvar().p50() << ","
              << i.q_down_mvar().p50() << "," << i.scheduled_p_mw() << "," << EnumLabel(i.outlook()) << ","
              << (i.has_measured_p_mw() ? std::to_string(i.measured_p_mw()) : "") << "\n";
  }
}

void PrintTable(const v1::Forecast& r, const std::string& kind) {
  std::printf("%s forecast of %s issued %s (%s), %d intervals (MW / Mvar; load convention)\n", kind.c_str(),
              r.pcc_id().c_str(), Time(r.issued_at()).c_str(), r.forecast_id().c_str(), r.intervals_size());
  for (const auto& in : r.inputs()) std::printf("  input: %s\n", in.c_str());
  std::printf("%-22s %8s %8s %8s %8s %7s %7s %7s %7s  %-7s %s\n", "start", "P10", "P50", "P90", "Q50", "P up", "P down",
              "Q up", "Q down", "outlook", "measured");
  for (const auto& i : r.intervals()) {
    std::printf("%-22s %8.2f %8.2f %8.2f %8.2f %7.2f %7.2f %7.2f %7.2f  %-7s %s\n", Time(i.start()).c_str(),
                i.p_mw().p10(), i.p_mw().p50(), i.p_mw().p90(), i.q_mvar().p50(), i.p_up_mw().p50(),
                i.p_down_mw().p50(), i.q_up_mvar().p50(), i.q_down_mvar().p50(), EnumLabel(i.outlook()).c_str(),
                i.has_measured_p_mw() ? absl::StrFormat("%.2f", i.measured_p_mw()).c_str() : "");
  }
}

// Draw P50, the P10-P90 band and what was measured; OK when written.
absl::Status WriteSvg(const v1::Forecast& r, const std::string& kind, const std::string& path) {
  client::ForecastChart chart;
  chart.title = kind + " forecast of " + r.pcc_id() + ", issued " + Time(r.issued_at());
  chart.y_label = "P at the PCC (MW, import positive)";
  for (const auto& i : r.intervals()) {
    client::ForecastPoint p;
    p.t = static_cast<double>(i.start().seconds());
    p.p10 = i.p_mw().p10();
    p.p50 = i.p_mw().p50();
    p.p90 = i.p_mw().p90();
    if (i.has_measured_p_mw()) p.measured = i.measured_p_mw();
    chart.points.push_back(p);
  }
  std::ofstream out(path);
  out << client::RenderForecastSvg(chart);
  if (!out.flush()) return absl::UnavailableError("cannot write " + path);
  std::fprintf(stderr, "tsodso: wrote %s\n", path.c_str());
  return absl::OkStatus();
}

class ForecastCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    auto* forecast = app.add_subcommand("forecast", "a PCC's forecast exchange with its P10-P90 band");
    forecast->add_option("--pcc", pcc_, "PCC id")->required();
    forecast->add_option("--kind", kind_, "day-ahead or intraday")
        ->required()
        ->check(CLI::IsMember({"day-ahead", "intraday"}));
    forecast->add_option("--from", from_, "RFC 3339 UTC start (default: the forecast's first interval)");
    forecast->add_option("--to", to_, "RFC 3339 UTC end, exclusive (default: 48 hours after --from)");
    forecast->add_option("--as-of", as_of_, "the forecast as issued by this time (default: the latest)");
    forecast->add_flag("--csv", csv_, "print CSV");
    forecast->add_option("--svg", svg_file_,
                         "also draw P50, the P10-P90 band and what was measured into this SVG file");
    return forecast;
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    v1::GetForecastRequest req;
    req.set_pcc_id(pcc_);
    req.set_kind(kind_ == "day-ahead" ? v1::FORECAST_KIND_DAY_AHEAD : v1::FORECAST_KIND_INTRADAY);
    if (!as_of_.empty()) {
      if (auto st = ParseTimeOption("--as-of", as_of_, req.mutable_as_of()); !st.ok()) return Fail(st);
    }
    if (!from_.empty()) {
      if (auto st = ParseTimeOption("--from", from_, req.mutable_from()); !st.ok()) return Fail(st);
    } else {
      // 12 hours back to 36 ahead: the whole of a day-ahead issue for
      // tomorrow, and the passed part of one for today.
      req.mutable_from()->set_seconds(std::time(nullptr) - 12 * 3600);
    }
    if (!to_.empty()) {
      if (auto st = ParseTimeOption("--to", to_, req.mutable_to()); !st.ok()) return Fail(st);
    } else {
      req.mutable_to()->set_seconds(req.from().seconds() + 48 * 3600);
    }
    auto r = client.GetForecast(req);
    if (!r.ok()) return Fail(r.status());
    if (global.json) {
      PrintJson(*r);
    } else if (csv_) {
      PrintCsv(*r);
    } else {
      PrintTable(*r, kind_);
    }
    std::cout.flush();
    if (!svg_file_.empty()) {
      if (auto st = WriteSvg(*r, kind_, svg_file_); !st.ok()) return Fail(st);
    }
    return 0;
  }

 private:
  std::string pcc_, kind_, from_, to_, as_of_, svg_file_;
  bool csv_ = false;
};

}  // namespace

std::unique_ptr<Command> NewForecastCommand() { return std::make_unique<ForecastCommand>(); }

}  // namespace tsodso::cli
