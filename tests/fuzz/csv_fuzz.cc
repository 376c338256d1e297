// The CSV readers, each given hostile text: the generic reader and its cell
// readers (core/common/csv.h), the year profiles, the PVGIS weather year,
// the measured load (core/profiles), the load history series
// (core/forecast), the network tables (core/grid), and the CLI's MOL,
// assets and schedule files (client/cli/csv_input.h). Every input must give
// a value or an error, never a crash.
//
// Input: byte 0 chooses the reader ('0' + the number in the list below, so
// that seeds stay text files); the rest is the file. The network readers
// take two tables, buses and then branches, separated by a line "%%".
// Seeds: tests/fuzz/corpus/csv_fuzz.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli/csv_input.h"
#include "core/common/csv.h"
#include "core/forecast/series.h"
#include "core/grid/grid_csv.h"
#include "core/profiles/profile.h"
#include "core/profiles/synthetic.h"
#include "fuzz_text.h"

namespace tsodso::fuzz {
namespace {

// The readers, in the order of byte 0; the corpus depends on it, so new
// readers go at the end.
enum Reader : uint8_t {
  kGenericCsv,
  kYearProfile,
  kPvgisYear,
  kMeasuredLoad,
  kLoadSeries,
  kGridTables,
  kGridTablesWithTransformer,
  kGridCsv,
  kCliMol,
  kCliAssets,
  kCliSchedule,
  kReaders
};

void GenericCsv(const std::string& text) {
  const core::Csv csv = core::ParseCsv(text);
  for (size_t row = 0; row < csv.rows.size(); ++row) {
    for (const std::string& name : csv.header) {
      double number = 0;
      std::string cell;
      (void)core::Field(csv, row, name, true, 0, &number, "fuzz.csv");
      (void)core::TextField(csv, row, name, true, &cell, "fuzz.csv");
    }
    double number = 0;
    (void)core::Field(csv, row, "absent", false, 1.5, &number, "fuzz.csv");
  }
}

void Series(const std::string& text) {
  auto series = core::SeriesFromCsv(text, "history.csv", "total_load_mw");
  if (!series.ok()) return;
  (void)core::FindGaps(*series);
  (void)core::FillShortGaps(*series);
  (void)series->At(series->start);
  (void)series->Slice(series->start, series->end());
}

void Grid(const std::string& input, bool transformer) {
  const auto [buses, branches] = SplitTwo(input);
  core::GridDescription d;
  d.name = "fuzz";
  d.defaults.v_nom_kv = 23;
  if (transformer) {
    d.slack_bus = "PS";
    d.slack_voltage_pu = 1.04;
    d.base_mva = 18;
    d.transformer = {.rating_mva = 376, .r_pct = 0.3, .x_pct = 12};
  }
  auto grid = core::GridFromTables({buses, "buses.csv"}, {branches, "branches.csv"}, d, "fuzz");
  if (grid.ok()) (void)grid->BusIndex("PS");
}

// The CLI reads from a path: one scratch file per process.
const std::string& ScratchFile() {
  static const std::string path = [] {
    std::string dir = (std::filesystem::temp_directory_path() / "tsodso-fuzz-csv-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) std::abort();
    return std::string(dir) + "/input.csv";
  }();
  return path;
}

void Cli(Reader reader, const std::string& text) {
  {
    std::ofstream out(ScratchFile(), std::ios::binary | std::ios::trunc);
    out << text;
  }
  switch (reader) {
    case kCliMol: {
      google::protobuf::Timestamp isp;
      isp.set_seconds(1743242400);
      v1::ValidateMeritOrderRequest request;
      (void)cli::ReadMolCsv(ScratchFile(), isp, &request);
      break;
    }
    case kCliAssets: {
      v1::PrequalificationRequest request;
      (void)cli::ReadAssetsCsv(ScratchFile(), &request);
      break;
    }
    default: {
      v1::SubmitScheduleRequest request;
      (void)cli::ReadScheduleCsv(ScratchFile(), &request);
      break;
    }
  }
}

}  // namespace
}  // namespace tsodso::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tsodso;
  using namespace tsodso::fuzz;
  if (size < 1) return 0;
  const auto reader = static_cast<Reader>(static_cast<uint8_t>(data[0] - '0') % kReaders);
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (reader) {
    case kGenericCsv:
      GenericCsv(text);
      break;
    case kYearProfile:
      (void)core::YearProfile::FromCsv(text, "profile.csv");
      break;
    case kPvgisYear:
      (void)core::PvProfileFromTmy(text, "tmy.csv", 2025);
      break;
    case kMeasuredLoad:
      (void)core::LoadShapeFromMeasured(text, "load.csv", "total_load_mw");
      break;
    case kLoadSeries:
      Series(text);
      break;
    case kGridTables:
    case kGridTablesWithTransformer:
      Grid(text, reader == kGridTablesWithTransformer);
      break;
    case kGridCsv: {
      const auto [buses, branches] = SplitTwo(text);
      (void)core::GridFromCsv(buses, "buses.csv", branches, "branches.csv", core::GridCsvDefaults{.v_nom_kv = 12.66});
      break;
    }
    case kCliMol:
    case kCliAssets:
    case kCliSchedule:
      Cli(reader, text);
      break;
    default:
      break;
  }
  return 0;
}
