// The DSO-private flexibility inputs: bad files are refused with a message
// that names the file, the class or group, and the field.
#include <gtest/gtest.h>

#include <fstream>

#include "app/flex_config.h"
#include "support/status_testing.h"
#include "support/temp_dir.h"

namespace tsodso {
namespace {

using testing::StatusIs;
using testing::TempDir;

class FlexConfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }
  std::string HourlyCsv(int rows, int gap_at = -1, const std::string& bad_value = "") {
    std::string out = "utc_start,p_pu\n";
    absl::Time t = absl::FromCivil(absl::CivilYear(2023), absl::UTCTimeZone());
    for (int i = 0; i < rows; ++i, t += absl::Hours(1)) {
      if (i == gap_at) continue;
      out += absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()) + "," +
             (i == 5 && !bad_value.empty() ? bad_value : "0.5") + "\n";
    }
    return out;
  }
  std::string Scenario(const std::string& groups, const std::string& profile) {
    return "load: {profile: \"" + profile + "\", peak_mw: 100, power_factor: 0.95}\ngroups:\n" + groups;
  }
  TempDir dir_{"flexcfg"};
};

TEST_F(FlexConfigTest, RepositoryClassesLoad) {
  auto classes = app::LoadDerClasses(std::string(TSODSO_SOURCE_DIR) + "/config/der-classes.yaml");
  ASSERT_TRUE(classes.ok()) << classes.status();
  EXPECT_EQ(classes->count("pv"), 1u);
  EXPECT_NEAR(classes->at("chp").pf_under, 0.98, 1e-12);
  EXPECT_TRUE(classes->at("ev_v2g").q_without_car);
  EXPECT_FALSE(classes->at("ev_charging").q_without_car);
}

TEST_F(FlexConfigTest, BadClassesNameFileClassAndField) {
  struct Case {
    std::string yaml, pieces[3];
  };
  const Case cases[] = {
      {"classes:\n  pv: {kind: inverter, q_pf: 1.2}\n", {"'pv'", "q_pf", "1.2"}},
      {"classes:\n  pv: {kind: inverter, q_pf: 0}\n", {"'pv'", "q_pf", "(0, 1]"}},
      {"classes:\n  chp: {kind: synchronous, pf_over: -0.8}\n", {"'chp'", "pf_over", "-0.8"}},
      {"classes:\n  x: {kind: fusion}\n", {"'x'", "kind", "'fusion'"}},
      {"classes:\n  pv: {kind: inverter, qpf: 0.9}\n", {"'pv'", "unknown key", "'qpf'"}},
      {"classes:\n  pv: {kind: inverter, sn_mva: -3}\n", {"'pv'", "sn_mva", "inventory"}},
      {"classes:\n  v2g: {kind: v2g, q_without_car: maybe}\n", {"'v2g'", "q_without_car", "true or false"}},
      {"classes:\n  pv: {kind: inverter, q_without_car: true}\n", {"'pv'", "q_without_car", "v2g"}},
      {"classes:\n  odd: {kind: polygon, vertices: [[0, 0], [0.5, 0.5], [0.5, 0], [0, 0.5]]}\n",
       {"'odd'", "vertices", "not convex"}},
      {"classes:\n  big: {kind: polygon, vertices: [[0, 0], [2, 0], [0, 0.5]]}\n", {"'big'", "vertices[1]", "|S|"}},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string path = Write("classes" + std::to_string(i++) + ".yaml", c.yaml);
    EXPECT_TRUE(StatusIs(app::LoadDerClasses(path), absl::StatusCode::kInvalidArgument,
                         {path, c.pieces[0], c.pieces[1], c.pieces[2]}))
        << c.yaml;
  }
}

TEST_F(FlexConfigTest, ConvexPolygonClassLoadsAndGivesItsRegion) {
  const std::string path = Write(
      "poly.yaml", "classes:\n  agreed: {kind: polygon, vertices: [[0, -0.3], [0.8, -0.3], [0.8, 0.3], [0, 0.3]]}\n");
  auto classes = app::LoadDerClasses(path);
  ASSERT_TRUE(classes.ok()) << classes.status();
  const core::DerCapability cap = core::Capability(classes->at("agreed"), core::DerState{0.5, 0.25});
  EXPECT_NEAR(cap.region.MaxP(), 0.8, 1e-12);
  EXPECT_NEAR(cap.region.MaxQ(), 0.3, 1e-12);
  EXPECT_NEAR(cap.operating.p, 0.5, 1e-12);
  EXPECT_NEAR(cap.operating.q, 0.0, 1e-12);
}

TEST_F(FlexConfigTest, MeasuredReactiveHistoryReplacesThePowerFactor) {
  auto classes = app::LoadDerClasses(std::string(TSODSO_SOURCE_DIR) + "/config/der-classes.yaml");
  ASSERT_TRUE(classes.ok());
  const std::string p = Write("p.csv", HourlyCsv(8760));
  std::string q = "utc_start,q_pu\n";
  absl::Time t = absl::FromCivil(absl::CivilYear(2023), absl::UTCTimeZone());
  for (int i = 0; i < 8760; ++i, t += absl::Hours(1)) {
    q += absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()) + ",-0.25\n";  // a reactive export
  }
  const std::string qfile = Write("q.csv", q);
  const std::string path = Write("withq.yaml", "load: {profile: \"" + p + "\", peak_mw: 100, q_profile: \"" + qfile +
                                                   "\", peak_mvar: 40}\ngroups: []\n");
  auto sc = app::LoadScenario(path, "PS_SUD", "current", *classes);
  ASSERT_TRUE(sc.ok()) << sc.status();
  const core::FlexInterval f = core::ComputeInterval(sc->model, absl::FromUnixSeconds(1700000000), absl::Minutes(15));
  EXPECT_NEAR(f.operating.p, 50.0, 1e-9);
  EXPECT_NEAR(f.operating.q, -10.0, 1e-9);
  const std::string no_peak =
      Write("nopeak.yaml", "load: {profile: \"" + p + "\", peak_mw: 100, q_profile: \"" + qfile + "\"}\ngroups: []\n");
  EXPECT_TRUE(StatusIs(app::LoadScenario(no_peak, "PS_SUD", "current", *classes), absl::StatusCode::kInvalidArgument,
                       {no_peak, "peak_mvar"}));
}

TEST_F(FlexConfigTest, BadScenariosNameFileGroupAndField) {
  auto classes = app::LoadDerClasses(std::string(TSODSO_SOURCE_DIR) + "/config/der-classes.yaml");
  ASSERT_TRUE(classes.ok());
  const std::string good = Write("good.csv", HourlyCsv(8760));
  struct Case {
    std::string yaml, pieces[2];
  };
  const std::string pv = "{csv: \"" + good + "\"}";
  const Case cases[] = {
      {Scenario("  - {name: a, class: solar, sn_mva: 5, profile: " + pv + "}\n", good), {"groups[0]", "'solar'"}},
      {Scenario("  - {name: a, class: pv, sn_mva: -5, profile: " + pv + "}\n", good), {"sn_mva", "-5"}},
      {Scenario("  - {name: a, class: pv, sn_mva: 5, units: 0, profile: " + pv + "}\n", good), {"units", "0"}},
      {Scenario(
           "  - {name: a, class: pv, sn_mva: 5, profile: {csv: \"" + Write("gap.csv", HourlyCsv(8761, 100)) + "\"}}\n",
           good),
       {"gap.csv", "gap"}},
      {Scenario("  - {name: a, class: pv, sn_mva: 5, profile: {csv: \"" + Write("nan.csv", HourlyCsv(8760, -1, "nan")) +
                    "\"}}\n",
                good),
       {"nan.csv", "row 7"}},
      {Scenario(
           "  - {name: a, class: pv, sn_mva: 5, profile: {csv: \"" + Write("short.csv", HourlyCsv(8759)) + "\"}}\n",
           good),
       {"short.csv", "8759 rows"}},
      {Scenario("  - {name: a, class: pv, sn_mva: 5, profile: {weekly: {weekday: [0.1], weekend: [0.1]}}}\n", good),
       {"weekly.weekday", "24"}},
      {"load: {profile: \"" + good + "\", peak_mw: 0}\ngroups: []\n", {"peak_mw", "0"}},
      {Scenario("  - {name: a, class: pv, sn_mva: 5, profile: {constant: 1.5}}\n", good), {"profile.constant", "1.5"}},
      {"min_units_for_breakdown: 1\n" + Scenario("", good), {"min_units_for_breakdown", "at least 2"}},
      {Scenario("", good) + "extra: 1\n", {"unknown key", "'extra'"}},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string path = Write("scenario" + std::to_string(i++) + ".yaml", c.yaml);
    auto sc = app::LoadScenario(path, "PS_SUD", "current", *classes);
    ASSERT_FALSE(sc.ok()) << c.yaml;
    for (const std::string& piece : c.pieces) {
      EXPECT_NE(std::string(sc.status().message()).find(piece), std::string::npos)
          << "missing '" << piece << "' in: " << sc.status();
    }
  }
}

}  // namespace
}  // namespace tsodso
