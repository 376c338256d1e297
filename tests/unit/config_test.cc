#include "app/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/status_testing.h"
#include "support/temp_dir.h"

namespace tsodso::app {
namespace {

using ::tsodso::testing::StatusIs;
using ::tsodso::testing::TempDir;

// A small valid configuration; tests replace one line or append some.
constexpr char kBase[] = R"(listen: "127.0.0.1:0"
data_dir: state
tls:
  cert: certs/server.crt
  key: certs/server.key
  client_ca: certs/ca.crt
database:
  dsn: "host=/from/file dbname=tsodso"
feed:
  heartbeat_interval_ms: 1000
pccs:
  - id: PS_SUD
    name: "Milano PS Sud"
  - id: PS_EST
    name: "Milano PS Est"
parties:
  - id: tso
    role: TSO
    identity: "tso-cn"
    pccs: "*"
  - id: agg
    role: AGGREGATOR
    identity: "agg-cn"
    pccs: [PS_SUD]
  - id: op
    role: DSO_OPERATOR
    identity: "op-cn"
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) {
    ADD_FAILURE() << "'" << from << "' is not in the base configuration";
    return text;
  }
  return text.replace(at, from.size(), to);
}

// Clear TSODSO_DATABASE_DSN for the test and restore it after.
class ScopedEnv {
 public:
  explicit ScopedEnv(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) saved_ = v;
    unsetenv(name);
  }
  ~ScopedEnv() {
    if (saved_) {
      setenv(name_, saved_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

class ConfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text, const std::string& name = "gateway.yaml") {
    const std::string path = dir_ / name;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
    return path;
  }

  ScopedEnv env_{"TSODSO_DATABASE_DSN"};
  TempDir dir_{"config"};
};

TEST_F(ConfigTest, GridSectionResolvesModelDirectoriesAndChecksItsPccs) {
  auto cfg = LoadConfig(Write(std::string(kBase) + "grid:\n  pccs:\n    PS_SUD: grids/ps-sud\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->grid.model_dirs.at("PS_SUD"), dir_ / "grids/ps-sud");
  const std::string unknown_pcc = Write(std::string(kBase) + "grid:\n  pccs:\n    PS_NORD: n\n", "unknown.yaml");
  EXPECT_TRUE(StatusIs(LoadConfig(unknown_pcc), absl::StatusCode::kInvalidArgument,
                       {unknown_pcc, "'grid.pccs.PS_NORD'", "unknown PCC"}));
  const std::string not_a_dir = Write(std::string(kBase) + "grid:\n  pccs:\n    PS_SUD: [a, b]\n", "list.yaml");
  EXPECT_TRUE(StatusIs(LoadConfig(not_a_dir), absl::StatusCode::kInvalidArgument, {"'grid.pccs.PS_SUD'"}));
  const std::string extra = Write(std::string(kBase) + "grid:\n  pccs:\n    PS_SUD: s\n  solver: x\n", "extra.yaml");
  EXPECT_TRUE(StatusIs(LoadConfig(extra), absl::StatusCode::kInvalidArgument, {"'grid.solver'", "unknown key"}));
}

TEST_F(ConfigTest, SecurityMarginsHaveTheDsoDefaultsAndAreChecked) {
  auto plain = LoadConfig(Write(std::string(kBase) + "grid:\n  pccs:\n    PS_SUD: g\n"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_DOUBLE_EQ(plain->grid.margins.thermal, 0.02);
  EXPECT_DOUBLE_EQ(plain->grid.margins.voltage_pu, 0.005);
  auto set = LoadConfig(
      Write(std::string(kBase) + "grid:\n  pccs:\n    PS_SUD: g\n  thermal_margin: 0.05\n  voltage_margin_pu: 0\n",
            "set.yaml"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_DOUBLE_EQ(set->grid.margins.thermal, 0.05);
  EXPECT_DOUBLE_EQ(set->grid.margins.voltage_pu, 0.0);
  // A percentage where a share is meant.
  const std::string percent =
      Write(std::string(kBase) + "grid:\n  pccs:\n    PS_SUD: g\n  thermal_margin: 2\n", "percent.yaml");
  EXPECT_TRUE(StatusIs(LoadConfig(percent), absl::StatusCode::kInvalidArgument,
                       {percent, "'grid.thermal_margin'", "between 0 and 0.5", "got 2"}));
  const std::string negative =
      Write(std::string(kBase) + "grid:\n  pccs:\n    PS_SUD: g\n  voltage_margin_pu: -0.01\n", "negative.yaml");
  EXPECT_TRUE(
      StatusIs(LoadConfig(negative), absl::StatusCode::kInvalidArgument, {"'grid.voltage_margin_pu'", "-0.01"}));
}

TEST_F(ConfigTest, PortfoliosAndScheduleHorizonAreChecked) {
  auto cfg = LoadConfig(Write(std::string(kBase) +
                              "portfolios:\n  - {id: p1, aggregator: agg, pcc: PS_SUD, p_min_mw: -1, p_max_mw: 2}\n"
                              "schedules: {horizon_days: 1, time_zone: Europe/Rome}\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  ASSERT_EQ(cfg->portfolios.size(), 1u);
  EXPECT_EQ(cfg->portfolios[0].p_max_mw, 2);
  EXPECT_EQ(cfg->schedules.horizon_days, 1);
  const std::string missing =
      Write(std::string(kBase) + "portfolios:\n  - {id: p1, aggregator: agg, pcc: PS_SUD, p_min_mw: 0}\n", "m.yaml");
  EXPECT_TRUE(StatusIs(LoadConfig(missing), absl::StatusCode::kInvalidArgument,
                       {missing, "'portfolios[0].p_max_mw'", "required"}));
  const std::string extra = Write(std::string(kBase) +
                                      "portfolios:\n  - {id: p1, aggregator: agg, pcc: PS_SUD, p_min_mw: 0, "
                                      "p_max_mw: 1, owner: x}\n",
                                  "e.yaml");
  EXPECT_TRUE(StatusIs(LoadConfig(extra), absl::StatusCode::kInvalidArgument, {"'portfolios[0].owner'", "unknown"}));
  const std::string wrong_pcc =
      Write(std::string(kBase) + "portfolios:\n  - {id: p1, aggregator: agg, pcc: PS_EST, p_min_mw: 0, p_max_mw: 1}\n",
            "w.yaml");
  EXPECT_TRUE(StatusIs(LoadConfig(wrong_pcc), absl::StatusCode::kInvalidArgument, {"portfolios[0] (p1).pcc"}));
  const std::string zone = Write(std::string(kBase) + "schedules: {time_zone: Mars/Olympus}\n", "z.yaml");
  EXPECT_TRUE(
      StatusIs(LoadConfig(zone), absl::StatusCode::kInvalidArgument, {"'schedules.time_zone'", "Mars/Olympus"}));
}

TEST_F(ConfigTest, ForecastSectionIsChecked) {
  auto cfg =
      LoadConfig(Write(std::string(kBase) + "forecast: {enabled: true, gate_time: \"11:30\", time_zone: Europe/Rome, "
                                            "intraday_hours: 8}\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_TRUE(cfg->forecast.enabled);
  EXPECT_EQ(cfg->forecast.gate_minutes, 11 * 60 + 30);
  EXPECT_EQ(cfg->forecast.intraday_hours, 8);
  auto off = LoadConfig(Write(std::string(kBase) + "forecast: {enabled: false}\n", "off.yaml"));
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->forecast.enabled);
  struct Case {
    std::string yaml, key, value;
  };
  for (const Case& c : std::vector<Case>{
           {"forecast: {gate_time: \"25:00\"}", "'forecast.gate_time'", "25:00"},
           {"forecast: {gate_time: noon}", "'forecast.gate_time'", "noon"},
           {"forecast: {time_zone: Mars/Olympus}", "'forecast.time_zone'", "Mars"},
           {"forecast: {intraday_hours: 30}", "'forecast.intraday_hours'", "30"},
           {"forecast: {enabled: sometimes}", "'forecast.enabled'", "sometimes"},
           {"forecast: {horizon: 3}", "'forecast.horizon'", "unknown key"},
           {"forecast: {history: {PS_SUD: h.csv}}", "'forecast.history.PS_SUD'", "not a PCC of flexibility.pccs"},
           {"forecast: {max_fill_minutes: -5}", "'forecast.max_fill_minutes'", "-5"}}) {
    const std::string path = Write(std::string(kBase) + c.yaml + "\n", "bad.yaml");
    EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {c.key, c.value})) << c.yaml;
  }
}

TEST_F(ConfigTest, RepositoryConfigLoads) {
  const std::string path = std::string(TSODSO_SOURCE_DIR) + "/config/gateway.yaml";
  auto cfg = LoadConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  ASSERT_NE(cfg->registry, nullptr);
  EXPECT_EQ(cfg->registry->parties().size(), 4u);
  EXPECT_EQ(cfg->registry->pccs().size(), 3u);
  EXPECT_EQ(cfg->source, path);
  EXPECT_EQ(cfg->server.tls.identity_source, api::IdentitySource::kSanUri);
  const auto root = std::filesystem::path(TSODSO_SOURCE_DIR).lexically_normal();
  EXPECT_EQ(cfg->server.tls.cert_file, (root / "var/certs/server.crt").string());
  EXPECT_EQ(cfg->data_dir, (root / "var/gateway").string());
  EXPECT_EQ(cfg->heartbeat_interval_ms, 5000);
  EXPECT_EQ(cfg->feed.queue_capacity, 1024u);
  EXPECT_EQ(cfg->feed.replay_page, 500);
  EXPECT_EQ(cfg->feed.recent.events, 4096u);
  EXPECT_EQ(cfg->feed.recent.bytes, size_t{16} << 20);
  EXPECT_TRUE(cfg->feed.hand_over);
  EXPECT_EQ(cfg->database.dsn, "");
  EXPECT_EQ(cfg->server.keepalive.timeout_ms, 10000);
  const core::Party* agg2 = cfg->registry->FindByIdentity("urn:tsodso:party:agg-2");
  ASSERT_NE(agg2, nullptr);
  EXPECT_EQ(agg2->id, "agg-2");
  EXPECT_EQ(agg2->pcc_ids, (std::set<std::string>{"PS_SUD", "PS_OVEST", "PS_EST"}));
  EXPECT_TRUE(cfg->registry->FindById("tso-terna")->all_pccs);
  EXPECT_EQ(cfg->grid.model_dirs.at("PS_SUD"), (root / "config/grids/ps-sud").string());
}

TEST_F(ConfigTest, BaseLoadsAndRelativePathsFollowTheFile) {
  const std::string path = Write(kBase);
  auto cfg = LoadConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->server.tls.cert_file, dir_ / "certs/server.crt");
  EXPECT_EQ(cfg->server.tls.key_file, dir_ / "certs/server.key");
  EXPECT_EQ(cfg->server.tls.client_ca_file, dir_ / "certs/ca.crt");
  EXPECT_EQ(cfg->server.tls.crl_dir, "");
  EXPECT_EQ(cfg->server.tls.identity_source, api::IdentitySource::kSubjectCn);
  EXPECT_EQ(cfg->data_dir, dir_ / "state");
  EXPECT_EQ(cfg->heartbeat_interval_ms, 1000);
  EXPECT_EQ(cfg->registry->parties().size(), 3u);
}

TEST_F(ConfigTest, RelativePathsWithDotDotAreNormalisedAndAbsoluteOnesKept) {
  std::string text = Replace(kBase, "cert: certs/server.crt", "cert: ../pki/certs/server.crt");
  text = Replace(text, "key: certs/server.key", "key: /etc/tsodso/server.key");
  const std::string path = Write(text, "etc/gateway.yaml");
  auto cfg = LoadConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->server.tls.cert_file, dir_ / "pki/certs/server.crt");
  EXPECT_EQ(cfg->server.tls.key_file, "/etc/tsodso/server.key");
  EXPECT_EQ(cfg->server.tls.client_ca_file, dir_ / "etc/certs/ca.crt");
}

TEST_F(ConfigTest, MissingFileIsNotFoundNamingThePath) {
  const std::string path = dir_ / "nope.yaml";
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kNotFound, {path}));
}

TEST_F(ConfigTest, BrokenYamlNamesTheFileAndLine) {
  const std::string path = Write("listen: \"127.0.0.1:0\"\ntls: [unclosed\n");
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "line"}));
}

TEST_F(ConfigTest, UnknownTopLevelKeyIsRejected) {
  const std::string path = Write(std::string(kBase) + "heartbeat_interval_ms: 10\n");
  EXPECT_TRUE(
      StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "'heartbeat_interval_ms'", "unknown key"}));
}

TEST_F(ConfigTest, UnknownNestedKeyIsRejectedWithItsPath) {
  const std::string path = Write(Replace(kBase, "heartbeat_interval_ms: 1000", "heartbeat_ms: 1000"));
  EXPECT_TRUE(
      StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "'feed.heartbeat_ms'", "unknown key"}));
}

TEST_F(ConfigTest, UnknownKeyInAListEntryIsRejectedWithItsIndex) {
  const std::string path =
      Write(Replace(kBase, "    identity: \"agg-cn\"\n", "    identity: \"agg-cn\"\n    colour: red\n"));
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "'parties[1].colour'"}));
}

TEST_F(ConfigTest, ZeroHeartbeatIsRejected) {
  const std::string path = Write(Replace(kBase, "heartbeat_interval_ms: 1000", "heartbeat_interval_ms: 0"));
  EXPECT_TRUE(
      StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "'feed.heartbeat_interval_ms'", "got 0"}));
}

TEST_F(ConfigTest, NonIntegerHeartbeatIsRejected) {
  const std::string path = Write(Replace(kBase, "heartbeat_interval_ms: 1000", "heartbeat_interval_ms: often"));
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument,
                       {path, "'feed.heartbeat_interval_ms'", "'often'"}));
}

TEST_F(ConfigTest, UnknownRoleIsRejected) {
  const std::string path = Write(Replace(kBase, "role: AGGREGATOR", "role: KING"));
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "'parties[1].role'", "'KING'"}));
}

TEST_F(ConfigTest, PartyReferencingUnknownPccIsRejected) {
  const std::string path = Write(Replace(kBase, "pccs: [PS_SUD]", "pccs: [PS_SUD, PS_NORD]"));
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "parties[1].pccs", "'PS_NORD'"}));
}

TEST_F(ConfigTest, DuplicateIdentityIsRejected) {
  const std::string path = Write(Replace(kBase, "identity: \"op-cn\"", "identity: \"agg-cn\""));
  EXPECT_TRUE(
      StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "parties[2].identity", "'agg-cn'"}));
}

TEST_F(ConfigTest, MissingTlsIsRejected) {
  const std::string path =
      Write(Replace(kBase, "tls:\n  cert: certs/server.crt\n  key: certs/server.key\n  client_ca: certs/ca.crt\n", ""));
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "'tls'", "required"}));
}

TEST_F(ConfigTest, MisspeltSectionIsReportedAsUnknownNotMissing) {
  const std::string path = Write(Replace(kBase, "tls:\n", "tsl:\n"));
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "'tsl'", "unknown key"}));
}

TEST_F(ConfigTest, MissingTlsKeyFileIsRejected) {
  const std::string path = Write(Replace(kBase, "  key: certs/server.key\n", ""));
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "'tls.key'", "required"}));
}

TEST_F(ConfigTest, UnknownIdentitySourceIsRejected) {
  const std::string path =
      Write(Replace(kBase, "  client_ca: certs/ca.crt\n", "  client_ca: certs/ca.crt\n  identity: serial\n"));
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "'tls.identity'", "'serial'"}));
}

TEST_F(ConfigTest, BadPccIdIsRejected) {
  const std::string path = Write(Replace(kBase, "id: PS_EST", "id: \"PS EST\""));
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "'pccs[1].id'", "'PS EST'"}));
}

TEST_F(ConfigTest, FlexibilitySectionResolvesPathsAndChecksItsPccs) {
  const std::string good = Write(std::string(kBase) +
                                 "flexibility:\n  der_classes: classes.yaml\n  pccs:\n"
                                 "    PS_SUD: {current: sud.yaml, \"2030\": sud-2030.yaml}\n");
  auto cfg = LoadConfig(good);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->flexibility.der_classes, dir_ / "classes.yaml");
  EXPECT_EQ(cfg->flexibility.scenarios.at("PS_SUD").at("2030"), dir_ / "sud-2030.yaml");
  EXPECT_EQ(cfg->flexibility.publish_interval_s, 900);

  const std::string unknown_pcc =
      Write(std::string(kBase) + "flexibility:\n  der_classes: c.yaml\n  pccs:\n    PS_NORD: {current: n.yaml}\n",
            "unknown.yaml");
  EXPECT_TRUE(StatusIs(LoadConfig(unknown_pcc), absl::StatusCode::kInvalidArgument,
                       {unknown_pcc, "'flexibility.pccs.PS_NORD'", "unknown PCC"}));
  const std::string no_current =
      Write(std::string(kBase) + "flexibility:\n  der_classes: c.yaml\n  pccs:\n    PS_SUD: {\"2030\": s.yaml}\n",
            "nocurrent.yaml");
  EXPECT_TRUE(StatusIs(LoadConfig(no_current), absl::StatusCode::kInvalidArgument,
                       {no_current, "'flexibility.pccs.PS_SUD'", "'current'"}));
  EXPECT_EQ(cfg->flexibility.lease_period_s, 30);
  for (const auto& [key, bad] :
       std::vector<std::pair<std::string, std::string>>{{"publish_interval_s", "1"}, {"lease_period_s", "0"}}) {
    const std::string path = Write(std::string(kBase) + "flexibility:\n  der_classes: c.yaml\n  " + key + ": " + bad +
                                       "\n  pccs:\n    PS_SUD: {current: s.yaml}\n",
                                   key + ".yaml");
    EXPECT_TRUE(
        StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "'flexibility." + key + "'", bad}));
  }
}

TEST_F(ConfigTest, BadLogLevelIsRejected) {
  const std::string path = Write(std::string(kBase) + "log_level: loud\n");
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument, {path, "'log_level'", "'loud'"}));
}

TEST_F(ConfigTest, ReplayPageAboveHalfTheQueueIsRejected) {
  const std::string path =
      Write(Replace(kBase, "heartbeat_interval_ms: 1000",
                    "heartbeat_interval_ms: 1000\n  subscriber_queue_capacity: 100\n  replay_page_size: 5000"));
  EXPECT_TRUE(StatusIs(LoadConfig(path), absl::StatusCode::kInvalidArgument,
                       {path, "'feed.replay_page_size'", "5000", "(50)"}));
}

TEST_F(ConfigTest, LimitsHaveDefaultsAndAreRead) {
  auto defaults = LoadConfig(Write(kBase));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->database.statement_timeout_ms, 30000);
  EXPECT_EQ(defaults->database.queue_max, 4096);
  EXPECT_EQ(defaults->compute.workers, 2);
  EXPECT_EQ(defaults->compute.queue_max, 64);
  EXPECT_EQ(defaults->feed.max_streams_per_party, 16u);
  EXPECT_EQ(defaults->server.keepalive.max_connection_age_ms, 1800000);
  EXPECT_EQ(defaults->server.keepalive.max_connection_age_grace_ms, 60000);

  const std::string path = Write(
      Replace(Replace(kBase, "heartbeat_interval_ms: 1000", "heartbeat_interval_ms: 1000\n  max_streams_per_party: 3"),
              "  dsn: \"host=/from/file dbname=tsodso\"",
              "  dsn: \"host=/from/file dbname=tsodso\"\n  statement_timeout_ms: 0\n  queue_max: 10") +
          "keepalive:\n  max_connection_age_ms: 0\n  max_connection_age_grace_ms: 5000\n" +
          "compute:\n  workers: 6\n  queue_max: 200\n",
      "limits.yaml");
  auto set = LoadConfig(path);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->database.statement_timeout_ms, 0);
  EXPECT_EQ(set->database.queue_max, 10);
  EXPECT_EQ(set->compute.workers, 6);
  EXPECT_EQ(set->compute.queue_max, 200);
  EXPECT_EQ(set->feed.max_streams_per_party, 3u);
  EXPECT_EQ(set->server.keepalive.max_connection_age_ms, 0);
  EXPECT_EQ(set->server.keepalive.max_connection_age_grace_ms, 5000);

  const std::string bad =
      Write(Replace(kBase, "heartbeat_interval_ms: 1000", "heartbeat_interval_ms: 1000\n  max_streams_per_party: 0"),
            "bad_streams.yaml");
  EXPECT_TRUE(StatusIs(LoadConfig(bad), absl::StatusCode::kInvalidArgument, {bad, "'feed.max_streams_per_party'"}));
  const std::string no_workers = Write(std::string(kBase) + "compute:\n  workers: 0\n", "no_workers.yaml");
  EXPECT_TRUE(StatusIs(LoadConfig(no_workers), absl::StatusCode::kInvalidArgument, {no_workers, "'compute.workers'"}));
}

TEST_F(ConfigTest, EnvironmentOverridesDatabaseDsn) {
  const std::string path = Write(kBase);
  auto from_file = LoadConfig(path);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(from_file->database.dsn, "host=/from/file dbname=tsodso");

  setenv("TSODSO_DATABASE_DSN", "host=/from/env dbname=other", 1);
  auto from_env = LoadConfig(path);
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->database.dsn, "host=/from/env dbname=other");

  // Set but empty: the file wins.
  setenv("TSODSO_DATABASE_DSN", "", 1);
  auto empty_env = LoadConfig(path);
  ASSERT_TRUE(empty_env.ok()) << empty_env.status();
  EXPECT_EQ(empty_env->database.dsn, "host=/from/file dbname=tsodso");

  unsetenv("TSODSO_DATABASE_DSN");
  auto unset = LoadConfig(path);
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_EQ(unset->database.dsn, "host=/from/file dbname=tsodso");
}

TEST_F(ConfigTest, EnvironmentSuppliesDsnWhenTheFileHasNone) {
  const std::string path = Write(Replace(kBase, "database:\n  dsn: \"host=/from/file dbname=tsodso\"\n", ""));
  setenv("TSODSO_DATABASE_DSN", "host=/from/env", 1);
  auto cfg = LoadConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->database.dsn, "host=/from/env");
}

}  // namespace
}  // namespace tsodso::app
