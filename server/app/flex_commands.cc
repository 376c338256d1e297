#include "app/flex_commands.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "app/flex_config.h"
#include "core/common/text_file.h"
#include "core/profiles/synthetic.h"

namespace tsodso::app {
namespace {

bool Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

}  // namespace

int MakeProfiles(const std::string& weather_csv, const std::string& load_csv, const std::string& out_dir, int year) {
  auto weather = core::ReadTextFile(weather_csv, "--weather");
  auto load = core::ReadTextFile(load_csv, "--load");
  for (const auto* text : {&weather, &load}) {
    if (!text->ok()) {
      std::fprintf(stderr, "%s\n", std::string(text->status().message()).c_str());
      return 2;
    }
  }
  auto pv = core::PvProfileFromTmy(*weather, weather_csv, year);
  if (!pv.ok()) {
    std::fprintf(stderr, "%s\n", std::string(pv.status().message()).c_str());
    return 1;
  }
  auto shape = core::LoadShapeFromMeasured(*load, load_csv, "total_load_mw");
  if (!shape.ok()) {
    std::fprintf(stderr, "%s\n", std::string(shape.status().message()).c_str());
    return 1;
  }
  std::filesystem::create_directories(out_dir);
  const auto path = [&](const char* name) { return (std::filesystem::path(out_dir) / name).string(); };
  const bool ok = Write(path("pv.csv"), pv->ToCsv("p_pu")) &&
                  Write(path("chp.csv"), core::ChpProfile(year).ToCsv("p_pu")) &&
                  Write(path("hydro-ror.csv"), core::RunOfRiverProfile(year).ToCsv("p_pu")) &&
                  Write(path("pcc-load.csv"), shape->ToCsv("load_pu"));
  if (!ok) {
    std::fprintf(stderr, "cannot write into %s\n", out_dir.c_str());
    return 1;
  }
  std::printf("wrote pv.csv, chp.csv, hydro-ror.csv (year %d) and pcc-load.csv (year %d) into %s\n", year,
              shape->year(), out_dir.c_str());
  return 0;
}

int SummarizeScenario(const std::string& classes_file, const std::string& scenario_file, int year, double threshold) {
  auto classes = LoadDerClasses(classes_file);
  if (!classes.ok()) {
    std::fprintf(stderr, "%s\n", std::string(classes.status().message()).c_str());
    return 2;
  }
  auto sc = LoadScenario(scenario_file, "PCC", "scenario", *classes);
  if (!sc.ok()) {
    std::fprintf(stderr, "%s\n", std::string(sc.status().message()).c_str());
    return 2;
  }
  const absl::Time from = absl::FromCivil(absl::CivilYear(year), absl::UTCTimeZone());
  const absl::Time to = absl::FromCivil(absl::CivilYear(year + 1), absl::UTCTimeZone());
  const auto intervals = core::ComputeRange(sc->model, from, to, sc->interval, /*with_area=*/false);
  const core::FlexSummary s = core::Summarize(intervals, threshold);
  std::printf("scenario %s, year %d, %zu intervals; threshold %.1f MW / Mvar\n", scenario_file.c_str(), year,
              s.intervals, threshold);
  std::printf("%-8s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n", "", "mean", "min", "p5", "p50", "p95", "max", "day",
              "night", ">=thr");
  for (auto [label, d] : {std::pair{"P up", &s.p_up}, std::pair{"P down", &s.p_down}, std::pair{"Q up", &s.q_up},
                          std::pair{"Q down", &s.q_down}}) {
    std::printf("%-8s %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %7.1f%%\n", label, d->mean, d->min, d->p5, d->p50,
                d->p95, d->max, d->day_mean, d->night_mean, 100 * d->share_at_least);
  }
  std::printf("monthly mean  ");
  for (int m = 1; m <= 12; ++m) std::printf("%6d", m);
  std::printf("\n");
  for (auto [label, d] : {std::pair{"P up", &s.p_up}, std::pair{"P down", &s.p_down}, std::pair{"Q up", &s.q_up},
                          std::pair{"Q down", &s.q_down}}) {
    std::printf("%-14s", label);
    for (int m = 1; m <= 12; ++m) std::printf("%6.1f", d->monthly_mean.count(m) ? d->monthly_mean.at(m) : 0.0);
    std::printf("\n");
  }
  return 0;
}

}  // namespace tsodso::app
