// PCC flexibility end to end: FLEXIBILITY events on the feed, GetFlexibility
// answers, who may ask, and the disclosure rule.
#include <google/protobuf/util/time_util.h>

#include <fstream>
#include <regex>
#include <thread>

#include "e2e/e2e_util.h"

namespace tsodso::testing {
namespace {

using google::protobuf::util::TimeUtil;

v1::GetFlexibilityRequest Window(const std::string& from, const std::string& to, const std::string& scenario = "") {
  v1::GetFlexibilityRequest r;
  r.set_pcc_id("PS_SUD");
  r.set_scenario(scenario);
  EXPECT_TRUE(TimeUtil::FromString(from, r.mutable_from()));
  EXPECT_TRUE(TimeUtil::FromString(to, r.mutable_to()));
  return r;
}

TEST(FlexibilityTest, TsoReceivesFlexibilityEventsAndGetFlexibilityAnswers) {
  GatewayOptions opts;
  opts.flexibility = true;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  v1::SubscribeRequest only_flex;
  only_flex.add_topics(v1::TOPIC_FLEXIBILITY);
  FeedCollector tso(*gw, "tso", only_flex);
  ASSERT_TRUE(tso.WaitForEvents(1)) << gw->Log();
  const v1::Event e = tso.events()[0];
  EXPECT_EQ(e.topic(), v1::TOPIC_FLEXIBILITY);
  EXPECT_EQ(e.pcc_id(), "PS_SUD");
  ASSERT_TRUE(e.has_flexibility());
  EXPECT_EQ(e.flexibility().interval_minutes(), 15);
  EXPECT_EQ(e.flexibility().intervals_size(), 96);  // 24 h ahead
  for (const auto& i : e.flexibility().intervals()) {
    EXPECT_GE(i.p_up_mw(), 0);
    EXPECT_GE(i.p_down_mw(), 0);
    EXPECT_GT(i.q_up_mvar(), 0);  // PV and CHP always offer reactive power
  }

  auto r = gw->ClientAs("tso")->GetFlexibility(Window("2025-01-15T10:00:00Z", "2025-01-15T11:00:00Z"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->scenario(), "current");
  ASSERT_EQ(r->intervals_size(), 4);
  const auto& first = r->intervals(0);
  EXPECT_EQ(TimeUtil::ToString(first.start()),
            "2025-01-15T10:00:00Z");  // Winter midday as-is: heat-led CHP runs near P max, so it can mostly
  // go down (33.75 MVA from 0.78 to 0.3 p.u. is 16 MW) and little up.
  EXPECT_GT(first.p_down_mw(), 13.5);
  EXPECT_LT(first.p_up_mw(), 1.0);
  EXPECT_GT(first.operating_point().p_mw(), 0);

  // With vertices: every move the figures promise lies in the area, whose
  // extents along the axes reach at least as far.
  auto req = Window("2025-01-15T10:00:00Z", "2025-01-15T10:15:00Z");
  req.set_include_vertices(true);
  auto v = gw->ClientAs("operator")->GetFlexibility(req);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->intervals_size(), 1);
  const auto& iv = v->intervals(0);
  ASSERT_GE(iv.vertices_size(), 3);
  double pmin = 1e9, pmax = -1e9, qmin = 1e9, qmax = -1e9;
  for (const auto& p : iv.vertices()) {
    pmin = std::min(pmin, p.p_mw());
    pmax = std::max(pmax, p.p_mw());
    qmin = std::min(qmin, p.q_mvar());
    qmax = std::max(qmax, p.q_mvar());
  }
  EXPECT_LE(pmin, iv.operating_point().p_mw() - iv.p_up_mw() + 1e-6);
  EXPECT_GE(pmax, iv.operating_point().p_mw() + iv.p_down_mw() - 1e-6);
  EXPECT_LE(qmin, iv.operating_point().q_mvar() - iv.q_up_mvar() + 1e-6);
  EXPECT_GE(qmax, iv.operating_point().q_mvar() + iv.q_down_mvar() - 1e-6);
  EXPECT_LE(iv.vertices_size(), 32);  // the published hull of 32 support points

  // Aggregators get the PCC figures, never the area's shape.
  auto agg_req = req;
  agg_req.set_include_vertices(true);
  auto agg = gw->ClientAs("agg1")->GetFlexibility(agg_req);
  ASSERT_FALSE(agg.ok());
  EXPECT_EQ(agg.status().code(), absl::StatusCode::kPermissionDenied) << agg.status();

  // The 2030 scenario has more flexibility than today's.
  auto now = gw->ClientAs("tso")->GetFlexibility(Window("2025-05-01T00:00:00Z", "2025-05-08T00:00:00Z"));
  auto later = gw->ClientAs("tso")->GetFlexibility(Window("2025-05-01T00:00:00Z", "2025-05-08T00:00:00Z", "2030"));
  ASSERT_TRUE(now.ok() && later.ok());
  double up_now = 0, up_later = 0;
  for (const auto& i : now->intervals()) up_now += i.p_up_mw();
  for (const auto& i : later->intervals()) up_later += i.p_up_mw();
  EXPECT_GT(up_later, up_now);
}

TEST(FlexibilityTest, AggregatorsAskOnlyForTheirPccsAndGetNoFlexibilityEvents) {
  GatewayOptions opts;
  opts.flexibility = true;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto refused = gw->ClientAs("agg2")->GetFlexibility(Window("2025-01-15T10:00:00Z", "2025-01-15T11:00:00Z"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  EXPECT_NE(refused.status().message().find("PS_SUD"), absl::string_view::npos);

  auto allowed = gw->ClientAs("agg1")->GetFlexibility(Window("2025-01-15T10:00:00Z", "2025-01-15T11:00:00Z"));
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(allowed->intervals_size(), 4);

  FeedCollector tso(*gw, "tso", All());
  FeedCollector agg1(*gw, "agg1", All());
  ASSERT_TRUE(tso.WaitForEvents(1));
  Publish(*gw->ClientAs("operator"), "marker", {"PS_SUD"});
  ASSERT_TRUE(agg1.WaitForEvents(1));
  for (const auto& e : agg1.events()) EXPECT_NE(e.topic(), v1::TOPIC_FLEXIBILITY) << e.DebugString();

  auto argv = gw->CliAs("agg2");
  for (std::string a : {"flex", "--pcc", "PS_SUD", "--from", "2025-01-15T10:00:00Z", "--to", "2025-01-15T11:00:00Z"}) {
    argv.push_back(a);
  }
  std::string out, err;
  EXPECT_EQ(RunCommand(argv, &out, &err), 4) << err;
}

TEST(FlexibilityTest, BadWindowsAreInvalidArgumentsNamingTheField) {
  GatewayOptions opts;
  opts.flexibility = true;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto tso = gw->ClientAs("tso");
  struct Case {
    v1::GetFlexibilityRequest req;
    std::string needle;
  };
  std::vector<Case> cases = {
      {Window("2025-01-15T11:00:00Z", "2025-01-15T10:00:00Z"), "to:"},
      {Window("2025-01-01T00:00:00Z", "2026-06-01T00:00:00Z"), "366 days"},
      {Window("2025-01-15T10:00:00Z", "2025-01-15T11:00:00Z", "2050"), "scenario: '2050'"},
  };
  auto wide = Window("2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z");
  wide.set_include_vertices(true);
  cases.push_back({wide, "include_vertices"});
  auto unknown = Window("2025-01-15T10:00:00Z", "2025-01-15T11:00:00Z");
  unknown.set_pcc_id("PS_NOWHERE");
  cases.push_back({unknown, "PS_NOWHERE"});
  for (const Case& c : cases) {
    auto r = tso->GetFlexibility(c.req);
    ASSERT_FALSE(r.ok()) << c.needle;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    EXPECT_NE(std::string(r.status().message()).find(c.needle), std::string::npos) << r.status();
  }
  // A PCC with no flexibility model configured.
  auto none = Window("2025-01-15T10:00:00Z", "2025-01-15T11:00:00Z");
  none.set_pcc_id("PS_EST");
  auto r = tso->GetFlexibility(none);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("PS_EST"), absl::string_view::npos) << r.status();
}

// Nothing identifies a DER, a feeder or a bus; a class breakdown appears
// only when every class has enough units behind the PCC.
TEST(FlexibilityTest, DisclosureRuleWithholdsSmallClassesAndNamesNoGroup) {
  TempDir dir("flex");
  const std::string config = std::string(TSODSO_SOURCE_DIR) + "/config/";
  const std::string scenario = dir / "big-classes.yaml";
  std::ofstream(scenario) << "interval_minutes: 15\nmin_units_for_breakdown: 5\n"
                          << "load: {profile: \"" << config
                          << "profiles/pcc-load.csv\", peak_mw: 180, power_factor: 0.95}\n"
                          << "groups:\n"
                          << "  - {name: pv_rooftops_via_verdi, class: pv, sn_mva: 5, units: 400, profile: {csv: \""
                          << config << "profiles/pv.csv\"}}\n"
                          << "  - {name: chp_cabina_17, class: chp, sn_mva: 27, units: 9, profile: {csv: \"" << config
                          << "profiles/chp.csv\"}}\n";
  GatewayOptions opts;
  opts.flexibility = true;
  opts.flexibility_current = scenario;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto tso = gw->ClientAs("tso");

  auto shown = tso->GetFlexibility(Window("2025-01-15T10:00:00Z", "2025-01-15T10:15:00Z"));
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_TRUE(shown->breakdown_note().empty());
  ASSERT_EQ(shown->intervals(0).by_class_size(), 2);
  EXPECT_EQ(shown->intervals(0).by_class(0).der_class(), "chp");
  EXPECT_EQ(shown->intervals(0).by_class(1).der_class(), "pv");
  double sum = 0;
  for (const auto& c : shown->intervals(0).by_class()) sum += c.q_up_mvar();
  EXPECT_NEAR(sum, shown->intervals(0).q_up_mvar(), 1e-6);
  const std::string wire = shown->DebugString();
  EXPECT_EQ(wire.find("via_verdi"), std::string::npos);
  EXPECT_EQ(wire.find("cabina"), std::string::npos);
  EXPECT_EQ(wire.find(scenario), std::string::npos);

  // The as-is scenario has 2 hydro units: no breakdown, and the note says so.
  auto withheld = tso->GetFlexibility(Window("2025-01-15T10:00:00Z", "2025-01-15T10:15:00Z", "2030"));
  ASSERT_TRUE(withheld.ok()) << withheld.status();
  EXPECT_EQ(withheld->intervals(0).by_class_size(), 0);
  EXPECT_NE(withheld->breakdown_note().find("fewer than 5 units"), std::string::npos) << withheld->breakdown_note();

  FeedCollector feed(*gw, "tso", All());
  ASSERT_TRUE(feed.WaitForEvents(1));
  const std::string event = feed.events()[0].DebugString();
  EXPECT_EQ(event.find("via_verdi"), std::string::npos);
  EXPECT_EQ(event.find("cabina"), std::string::npos);
}

TEST(FlexibilityTest, CliPrintsTableCsvAndSvg) {
  GatewayOptions opts;
  opts.flexibility = true;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  TempDir dir("flexcli");
  const std::string svg = dir / "ps-sud.svg";
  auto argv = gw->CliAs("tso");
  for (std::string a : {"flex", "--pcc", "PS_SUD", "--from", "2025-01-01T00:00:00Z", "--to", "2025-01-15T00:00:00Z",
                        "--csv", "--svg", svg.c_str(), "--at", "2025-01-10T12:00:00Z"}) {
    argv.push_back(a);
  }
  std::string out, err;
  ASSERT_EQ(RunCommand(argv, &out, &err, 60000), 0) << err;
  EXPECT_EQ(
      out.rfind("start,end,p_mw,q_mvar,p_up_mw,p_down_mw,q_up_mvar,q_down_mvar,scheduled_p_mw,scheduled_q_mvar\n", 0),
      0u)
      << out.substr(0, 200);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1 + 14 * 96);
  std::ifstream in(svg);
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(doc.find("<svg"), std::string::npos);
  EXPECT_NE(doc.find("P at the PCC (MW"), std::string::npos);
  EXPECT_NE(doc.find("Q at the PCC (Mvar"), std::string::npos);
  EXPECT_NE(doc.find("flexibility area, 2025-01-10T12:00:00Z"), std::string::npos);
  // The horizon's capability boundary and the chosen interval's area.
  const auto count = [&doc](const std::string& what) {
    const std::regex re(what);
    return std::distance(std::sregex_iterator(doc.begin(), doc.end(), re), std::sregex_iterator());
  };
  EXPECT_EQ(count("<polygon"), 2);
  EXPECT_GE(count("<circle"), 14 * 96);  // one operating point per interval
}

}  // namespace
}  // namespace tsodso::testing

namespace tsodso::testing {
namespace {

// A changed input file is picked up and published without a restart.
TEST(FlexibilityTest, ChangedInputsArePublishedWithoutARestart) {
  TempDir dir("flexchange");
  const std::string config = std::string(TSODSO_SOURCE_DIR) + "/config/";
  const std::string scenario = dir / "current.yaml";
  auto write = [&](double pv_mva) {
    std::ofstream(scenario) << "interval_minutes: 15\n"
                            << "load: {profile: \"" << config << "profiles/pcc-load.csv\", peak_mw: 180}\n"
                            << "groups:\n  - {name: pv, class: pv, sn_mva: " << pv_mva
                            << ", units: 100, profile: {csv: \"" << config << "profiles/pv.csv\"}}\n";
  };
  write(5);
  GatewayOptions opts;
  opts.flexibility = true;
  opts.flexibility_current = scenario;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  v1::SubscribeRequest only_flex;
  only_flex.add_topics(v1::TOPIC_FLEXIBILITY);
  FeedCollector tso(*gw, "tso", only_flex);
  ASSERT_TRUE(tso.WaitForEvents(1));
  // PV at 0.9 PF offers 0.4359 Mvar per MVA, at any time of day.
  EXPECT_NEAR(tso.events()[0].flexibility().intervals(0).q_up_mvar(), 5 * 0.43589, 1e-3);

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a new modification time
  write(20);
  ASSERT_TRUE(tso.WaitForEvents(2, 20000)) << gw->Log();
  EXPECT_NEAR(tso.events()[1].flexibility().intervals(0).q_up_mvar(), 20 * 0.43589, 1e-3);
  EXPECT_NE(gw->Log().find("scenarios reloaded"), std::string::npos);
}

// With the DSO's network, the grid-limited figures take seconds per PCC:
// the DERs' own figures go out first, marked as such, and the complete
// figures for the same horizon follow.
TEST(FlexibilityTest, DerFiguresComeFirstAndTheGridLimitedFiguresFollow) {
  GatewayOptions opts;
  opts.flexibility = true;
  opts.grid_model_dir = std::string(TSODSO_SOURCE_DIR) + "/config/grids/ps-sud";
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  v1::SubscribeRequest only_flex;
  only_flex.add_topics(v1::TOPIC_FLEXIBILITY);
  FeedCollector tso(*gw, "tso", only_flex);
  ASSERT_TRUE(tso.WaitForEvents(1)) << gw->Log();
  const v1::FlexibilityUpdate first = tso.events()[0].flexibility();
  EXPECT_EQ(first.pcc_id(), "PS_SUD");
  EXPECT_TRUE(first.grid_limited_pending());
  ASSERT_EQ(first.intervals_size(), 96);
  for (const auto& i : first.intervals()) EXPECT_FALSE(i.has_grid_limited());

  ASSERT_TRUE(tso.WaitForEvents(2, 180000)) << gw->Log();
  const v1::FlexibilityUpdate full = tso.events()[1].flexibility();
  EXPECT_FALSE(full.grid_limited_pending());
  ASSERT_EQ(full.intervals_size(), 96);
  EXPECT_EQ(TimeUtil::ToString(full.intervals(0).start()), TimeUtil::ToString(first.intervals(0).start()));
  for (const auto& i : full.intervals()) EXPECT_TRUE(i.has_grid_limited()) << TimeUtil::ToString(i.start());
  // The same DER figures, now with the network's bounds beside them.
  EXPECT_DOUBLE_EQ(full.intervals(0).p_up_mw(), first.intervals(0).p_up_mw());
}

}  // namespace
}  // namespace tsodso::testing
