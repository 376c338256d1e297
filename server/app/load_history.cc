#include "app/load_history.h"

#include <filesystem>
#include <map>
#include <mutex>

#include "core/common/text_file.h"
#include "core/common/time.h"
#include "core/forecast/pcc_forecast.h"

namespace tsodso::app {
namespace {
namespace fs = std::filesystem;

// A history file as last read: the series with its short gaps filled, and
// the gaps left missing.
struct ReadHistory {
  fs::file_time_type mtime;
  core::Series series;
  size_t filled = 0;
  std::vector<core::Gap> missing;
};

std::string Describe(const ReadHistory& h, absl::Time from, absl::Time to, int max_fill_minutes) {
  std::string out = "metered load history " + core::Rfc3339(h.series.start) + " .. " + core::Rfc3339(h.series.end());
  std::vector<const core::Gap*> in_window;
  for (const core::Gap& g : h.missing) {
    if (g.end > from && g.start < to) in_window.push_back(&g);
  }
  absl::StrAppend(&out, "; ", h.filled, " gap(s) of up to ", max_fill_minutes, " min interpolated");
  if (in_window.empty()) return out;
  absl::StrAppend(&out, "; ", in_window.size(), " longer gap(s) left missing:");
  for (size_t i = 0; i < in_window.size() && i < 3; ++i) {
    absl::StrAppend(&out, " ", core::Rfc3339(in_window[i]->start), " .. ", core::Rfc3339(in_window[i]->end));
  }
  if (in_window.size() > 3) absl::StrAppend(&out, " and ", in_window.size() - 3, " more");
  return out;
}

}  // namespace

core::LoadHistorySource MakeLoadHistorySource(const ForecastConfig& config) {
  auto cache = std::make_shared<std::map<std::string, ReadHistory>>();
  auto mu = std::make_shared<std::mutex>();
  return [config, cache, mu](const core::FlexScenario& scenario, absl::Time from,
                             absl::Time to) -> absl::StatusOr<core::LoadHistory> {
    const std::string& pcc = scenario.model.pcc_id;
    auto file = config.history_files.find(pcc);
    if (file == config.history_files.end()) {
      const core::Series s = core::LoadHistoryFromModel(scenario.model, from, to);
      return core::LoadHistory{s, "load history " + core::Rfc3339(s.start) + " .. " + core::Rfc3339(s.end()) +
                                      " (the scenario's load profile standing in for metering)"};
    }
    std::lock_guard lock(*mu);
    std::error_code ec;
    const auto mtime = fs::last_write_time(file->second, ec);
    if (ec) return absl::UnavailableError("load history of " + pcc + ": cannot read " + file->second);
    auto cached = cache->find(file->second);
    if (cached == cache->end() || cached->second.mtime != mtime) {
      auto text = core::ReadTextFile(file->second);
      if (!text.ok()) return text.status();
      auto series = core::SeriesFromCsv(*text, file->second, config.history_column);
      if (!series.ok()) return series.status();
      ReadHistory h;
      h.mtime = mtime;
      const size_t gaps = core::FindGaps(*series).size();
      h.missing = core::FillShortGaps(*series, absl::Minutes(config.max_fill_minutes));
      h.filled = gaps - h.missing.size();
      h.series = std::move(*series);
      cached = cache->insert_or_assign(file->second, std::move(h)).first;
    }
    const ReadHistory& h = cached->second;
    return core::LoadHistory{h.series.Slice(from, to), Describe(h, from, to, config.max_fill_minutes)};
  };
}

}  // namespace tsodso::app
