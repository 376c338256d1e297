// Forecasts end to end: the gateway issues day-ahead and intraday forecasts
// of PS Sud at start and publishes them to the TSO; GetForecast answers the
// TSO and, for its own PCCs only, an aggregator; bad requests are
// INVALID_ARGUMENT naming the field; the CLI prints a table and draws the
// band.
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/common/time.h"
#include "e2e/e2e_util.h"
#include "support/temp_dir.h"

namespace tsodso::testing {
namespace {

using google::protobuf::util::TimeUtil;

v1::GetForecastRequest Request(v1::ForecastKind kind, int64_t from, int64_t to, const std::string& pcc = "PS_SUD") {
  v1::GetForecastRequest r;
  r.set_pcc_id(pcc);
  r.set_kind(kind);
  r.mutable_from()->set_seconds(from);
  r.mutable_to()->set_seconds(to);
  return r;
}

std::unique_ptr<GatewayProcess> StartWithForecasts() {
  GatewayOptions opts;
  opts.flexibility = true;
  opts.grid_model_dir = std::string(TSODSO_SOURCE_DIR) + "/config/grids/ps-sud";
  return StartGateway(opts);
}

v1::SubscribeRequest OnlyForecasts() {
  v1::SubscribeRequest r;
  r.add_topics(v1::TOPIC_FORECAST);
  return r;
}

// Wait until the gateway has issued its first day-ahead and intraday
// forecasts (at start).
bool WaitForFirstForecasts(GatewayProcess& gw) {
  FeedCollector tso(gw, "tso", OnlyForecasts());
  return tso.WaitForEvents(2);
}

void ExpectOrderedBands(const v1::ForecastInterval& i) {
  EXPECT_LE(i.p_mw().p10(), i.p_mw().p50());
  EXPECT_LE(i.p_mw().p50(), i.p_mw().p90());
  EXPECT_LT(i.p_mw().p10(), i.p_mw().p90());  // an honest forecast has a band
  EXPECT_LE(i.q_mvar().p10(), i.q_mvar().p90());
  EXPECT_LE(i.p_up_mw().p10(), i.p_up_mw().p90());
  EXPECT_GE(i.p_down_mw().p10(), 0);
  EXPECT_NE(i.outlook(), v1::TRAFFIC_LIGHT_STATE_UNSPECIFIED);
}

TEST(ForecastTest, TsoReceivesDayAheadAndIntradayForecastsAndAggregatorsNone) {
  auto gw = StartWithForecasts();
  ASSERT_NE(gw, nullptr);
  FeedCollector tso(*gw, "tso", OnlyForecasts());
  FeedCollector agg1(*gw, "agg1", OnlyForecasts());
  ASSERT_TRUE(tso.WaitForEvents(2)) << gw->Log();
  std::map<v1::ForecastKind, v1::Forecast> by_kind;
  for (const v1::Event& e : tso.events()) {
    EXPECT_EQ(e.topic(), v1::TOPIC_FORECAST);
    EXPECT_EQ(e.pcc_id(), "PS_SUD");
    ASSERT_TRUE(e.has_forecast());
    by_kind[e.forecast().kind()] = e.forecast();
  }
  ASSERT_EQ(by_kind.size(), 2u);
  const v1::Forecast& intraday = by_kind[v1::FORECAST_KIND_INTRADAY];
  const v1::Forecast& day_ahead = by_kind[v1::FORECAST_KIND_DAY_AHEAD];
  // Intraday: the coming 6 hours from the current ISP.
  ASSERT_EQ(intraday.intervals_size(), 24);
  const int64_t now = std::time(nullptr);
  // From the ISP of the issue (the one before, when the ISP turned since).
  const int64_t first = intraday.intervals(0).start().seconds();
  EXPECT_TRUE(first == now - now % 900 || first == now - now % 900 - 900) << first;
  // Day-ahead: up to the end of a local day (Europe/Rome), 15-minute steps.
  ASSERT_GT(day_ahead.intervals_size(), 0);
  absl::TimeZone rome;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Rome", &rome));
  const absl::Time end = absl::FromUnixSeconds(day_ahead.intervals().rbegin()->end().seconds());
  EXPECT_EQ(absl::ToCivilMinute(end, rome).hour(), 0);
  EXPECT_EQ(absl::ToCivilMinute(end, rome).minute(), 0);
  for (const v1::Forecast* f : {&intraday, &day_ahead}) {
    EXPECT_FALSE(f->forecast_id().empty());
    EXPECT_EQ(f->interval_minutes(), 15);
    EXPECT_GT(f->issued_at().seconds(), now - 120);
    std::string inputs;
    for (const auto& in : f->inputs()) inputs += in + "\n";
    EXPECT_NE(inputs.find("typical meteorological year"), std::string::npos) << inputs;
    for (int k = 0; k < f->intervals_size(); ++k) {
      ExpectOrderedBands(f->intervals(k));
      if (k > 0) {
        EXPECT_EQ(f->intervals(k).start().seconds(), f->intervals(k - 1).end().seconds());
      }
    }
  }
  // A forecast names no bus, line or feeder of the private model.
  std::string text;
  for (const v1::Event& e : tso.events()) text += e.DebugString();
  for (const char* secret : {"PS-HV", "F1-2", "F8-", "feeder", "buses.csv", "branches.csv"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  }
  // Forecast events are for the TSO and the DSO.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(agg1.events().empty());
}

TEST(ForecastTest, GetForecastAnswersTheTsoAndAnAggregatorForItsOwnPccsOnly) {
  auto gw = StartWithForecasts();
  ASSERT_NE(gw, nullptr);
  ASSERT_TRUE(WaitForFirstForecasts(*gw));
  const int64_t now = std::time(nullptr);
  const int64_t isp = now - now % 900;

  auto tso = gw->ClientAs("tso");
  auto r = tso->GetForecast(Request(v1::FORECAST_KIND_INTRADAY, isp, isp + 3600));
  ASSERT_TRUE(r.ok()) << r.status() << gw->Log();
  EXPECT_EQ(r->pcc_id(), "PS_SUD");
  EXPECT_EQ(r->kind(), v1::FORECAST_KIND_INTRADAY);
  ASSERT_EQ(r->intervals_size(), 4);  // the window, not the whole issue
  for (const auto& i : r->intervals()) ExpectOrderedBands(i);

  // The aggregator at PS Sud gets the forecast; the one without assets
  // there, and anyone for an unknown PCC, does not.
  auto own = gw->ClientAs("agg1")->GetForecast(Request(v1::FORECAST_KIND_INTRADAY, isp, isp + 3600));
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->intervals_size(), 4);
  EXPECT_EQ(own->intervals(0).scheduled_p_mw(), 0);
  EXPECT_EQ(gw->ClientAs("agg2")->GetForecast(Request(v1::FORECAST_KIND_INTRADAY, isp, isp + 3600)).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto unknown = tso->GetForecast(Request(v1::FORECAST_KIND_INTRADAY, isp, isp + 3600, "PS_NOWHERE"));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument) << unknown.status();
  EXPECT_NE(unknown.status().message().find("pcc_id"), std::string::npos) << unknown.status();

  // What was forecast at a time: before the first issue there was none.
  auto before = Request(v1::FORECAST_KIND_DAY_AHEAD, isp, isp + 3600);
  before.mutable_as_of()->set_seconds(now - 86400);
  EXPECT_EQ(tso->GetForecast(before).status().code(), absl::StatusCode::kNotFound);

  struct Case {
    std::string name;
    v1::GetForecastRequest request;
    std::string message;
  };
  const std::vector<Case> bad = {
      {"unknown kind", Request(static_cast<v1::ForecastKind>(7), isp, isp + 3600), "kind: 7"},
      {"no kind", Request(v1::FORECAST_KIND_UNSPECIFIED, isp, isp + 3600), "kind: 0"},
      {"from after to", Request(v1::FORECAST_KIND_DAY_AHEAD, isp + 3600, isp), "from: "},
      {"beyond the limit", Request(v1::FORECAST_KIND_DAY_AHEAD, isp, isp + 72 * 3600), "48 hours"},
      {"no end",
       [&] {
         auto r = Request(v1::FORECAST_KIND_DAY_AHEAD, isp, isp + 3600);
         r.clear_to();
         return r;
       }(),
       "to: required"},
  };
  for (const Case& c : bad) {
    auto answer = tso->GetForecast(c.request);
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument) << c.name << ": " << answer.status();
    EXPECT_NE(answer.status().message().find(c.message), std::string::npos) << c.name << ": " << answer.status();
  }
}

TEST(ForecastTest, AMeteredHistoryIsUsedAndItsGapsAreReportedNotFilledBeyondTheSpan) {
  // Eight weeks of PS Sud's metered load, 15 minutes, a daily shape around
  // 100 MW; 30 minutes missing (filled) and 3 hours missing (left so).
  TempDir dir("history");
  const std::string file = dir / "ps-sud-load.csv";
  const int64_t now = std::time(nullptr);
  const int64_t end = now - now % 900;
  const int64_t short_gap = end - 3 * 86400, long_gap = end - 2 * 86400;
  {
    std::ofstream out(file);
    out << "utc_start,load_mw\n";
    for (int64_t t = end - 56 * 86400; t < end; t += 900) {
      if ((t >= short_gap && t < short_gap + 1800) || (t >= long_gap && t < long_gap + 3 * 3600)) continue;
      const double hour = static_cast<double>(t % 86400) / 3600;
      out << core::Rfc3339(absl::FromUnixSeconds(t)) << "," << 100 + 20 * std::sin(hour / 24 * 6.283185307) << "\n";
    }
  }
  GatewayOptions opts;
  opts.flexibility = true;
  opts.forecast_history = file;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  FeedCollector tso(*gw, "tso", OnlyForecasts());
  ASSERT_TRUE(tso.WaitForEvents(2)) << gw->Log();
  const v1::Forecast f = tso.events()[0].forecast();
  std::string inputs;
  for (const auto& in : f.inputs()) inputs += in + "\n";
  EXPECT_NE(inputs.find("metered load history"), std::string::npos) << inputs;
  EXPECT_NE(inputs.find("1 gap(s) of up to 60 min interpolated"), std::string::npos) << inputs;
  const std::string missing = core::Rfc3339(absl::FromUnixSeconds(long_gap)) + " .. " +
                              core::Rfc3339(absl::FromUnixSeconds(long_gap + 3 * 3600));
  EXPECT_NE(inputs.find("1 longer gap(s) left missing: " + missing), std::string::npos) << inputs;
  EXPECT_EQ(inputs.find(file), std::string::npos) << "the DSO's file names stay with the DSO";
  // The forecast follows the metered level (the profile's would be other).
  ASSERT_GT(f.intervals_size(), 0);
  const auto& first = f.intervals(0);
  const double hour = static_cast<double>(first.start().seconds() % 86400) / 3600;
  const double load = 100 + 20 * std::sin(hour / 24 * 6.283185307);
  // The exchange is the load less the DERs' production (at most 38 MW as-is).
  EXPECT_LE(first.p_mw().p50(), load + 1e-6);
  EXPECT_GT(first.p_mw().p50(), load - 40);
}

TEST(ForecastTest, CliPrintsTheForecastAndDrawsItsBand) {
  auto gw = StartWithForecasts();
  ASSERT_NE(gw, nullptr);
  ASSERT_TRUE(WaitForFirstForecasts(*gw));
  TempDir dir("forecastcli");
  const std::string svg = dir / "forecast.svg";
  auto run = [&](std::vector<std::string> args, std::string* out, std::string* err) {
    auto argv = gw->CliAs("tso");
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, out, err, 60000);
  };
  std::string out, err;
  ASSERT_EQ(run({"forecast", "--pcc", "PS_SUD", "--kind", "intraday", "--svg", svg}, &out, &err), 0) << err;
  EXPECT_NE(out.find("intraday forecast of PS_SUD issued"), std::string::npos) << out;
  EXPECT_NE(out.find("P10"), std::string::npos) << out;
  std::ifstream in(svg);
  std::stringstream picture;
  picture << in.rdbuf();
  EXPECT_NE(picture.str().find("<svg"), std::string::npos);
  EXPECT_NE(picture.str().find("P10-P90"), std::string::npos);
  ASSERT_EQ(run({"forecast", "--pcc", "PS_SUD", "--kind", "intraday", "--csv"}, &out, &err), 0) << err;
  EXPECT_EQ(out.rfind("start,end,p10_mw,p50_mw,p90_mw", 0), 0u) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1 + 24);
  EXPECT_EQ(run({"forecast", "--pcc", "PS_SUD", "--kind", "weekly"}, &out, &err), 2) << err;
  EXPECT_NE(err.find("--kind"), std::string::npos) << err;
}

}  // namespace
}  // namespace tsodso::testing
