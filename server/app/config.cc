#include "app/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "app/yaml_reader.h"
#include "core/common/status_macros.h"
#include "store/group_commit.h"

namespace tsodso::app {
namespace fs = std::filesystem;
namespace {

// What every section reader reads into, and the directory relative paths
// are taken from.
struct Reading {
  GatewayConfig& cfg;
  fs::path base;
  std::vector<core::Pcc> pccs;
  std::vector<core::Party> parties;
};

absl::Status ReadListen(YamlSection& top, Reading& r) {
  return top.String("listen", &r.cfg.server.listen_address, true);
}

absl::Status ReadDataDir(YamlSection& top, Reading& r) { return top.Path("data_dir", &r.cfg.data_dir, r.base, true); }

absl::Status ReadLogLevel(YamlSection& top, Reading& r) {
  TSODSO_RETURN_IF_ERROR(top.String("log_level", &r.cfg.log_level));
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
  if (!kLevels.count(r.cfg.log_level)) {
    return top.Error("log_level", absl::StrCat("'", r.cfg.log_level, "' is not one of ", absl::StrJoin(kLevels, ", ")));
  }
  return absl::OkStatus();
}

absl::Status ReadLogFormat(YamlSection& top, Reading& r) {
  std::string name = "text";
  TSODSO_RETURN_IF_ERROR(top.String("log_format", &name));
  if (!runtime::log::ParseFormat(name, &r.cfg.log_format)) {
    return top.Error("log_format", absl::StrCat("'", name, "' is not one of text, json"));
  }
  return absl::OkStatus();
}

absl::Status ReadShutdownGrace(YamlSection& top, Reading& r) {
  return top.Int("shutdown_grace_ms", &r.cfg.shutdown_grace_ms, 0, 600000);
}

absl::Status ReadTls(YamlSection& top, Reading& r) {
  if (!top.Has("tls")) return top.Error("tls", "is required: the gateway only speaks mutual TLS");
  YamlSection tls = top.Sub("tls");
  TSODSO_RETURN_IF_ERROR(tls.CheckIsMap());
  api::TlsOptions& t = r.cfg.server.tls;
  TSODSO_RETURN_IF_ERROR(tls.Path("cert", &t.cert_file, r.base, true));
  TSODSO_RETURN_IF_ERROR(tls.Path("key", &t.key_file, r.base, true));
  TSODSO_RETURN_IF_ERROR(tls.Path("client_ca", &t.client_ca_file, r.base, true));
  TSODSO_RETURN_IF_ERROR(tls.Path("crl_dir", &t.crl_dir, r.base, false));
  std::string identity = "subject_cn";
  TSODSO_RETURN_IF_ERROR(tls.String("identity", &identity));
  if (identity == "subject_cn") {
    t.identity_source = api::IdentitySource::kSubjectCn;
  } else if (identity == "san_uri") {
    t.identity_source = api::IdentitySource::kSanUri;
  } else {
    return tls.Error("tls.identity", absl::StrCat("'", identity, "' is not one of subject_cn, san_uri"));
  }
  TSODSO_RETURN_IF_ERROR(tls.Int("refresh_interval_s", &t.refresh_interval_s, 1, 86400));
  return tls.Finish();
}

absl::Status ReadDatabase(YamlSection& top, Reading& r) {
  if (top.Has("database")) {
    YamlSection db = top.Sub("database");
    TSODSO_RETURN_IF_ERROR(db.CheckIsMap());
    TSODSO_RETURN_IF_ERROR(db.String("dsn", &r.cfg.database.dsn));
    TSODSO_RETURN_IF_ERROR(db.Int("pool_size", &r.cfg.database.pool_size, 1, 64));
    TSODSO_RETURN_IF_ERROR(db.Int("queue_max", &r.cfg.database.queue_max, 1, 1000000));
    TSODSO_RETURN_IF_ERROR(
        db.Int("group_commit_max", &r.cfg.database.group_commit_max, 1, store::GroupCommit::kMaxMembers));
    TSODSO_RETURN_IF_ERROR(db.Int("statement_timeout_ms", &r.cfg.database.statement_timeout_ms, 0, 86400000));
    TSODSO_RETURN_IF_ERROR(db.Path("embedded_bin_dir", &r.cfg.database.embedded_bin_dir, r.base, false));
    TSODSO_RETURN_IF_ERROR(db.Finish());
  }
  if (const char* env = std::getenv("TSODSO_DATABASE_DSN"); env != nullptr && *env != '\0') r.cfg.database.dsn = env;
  return absl::OkStatus();
}

absl::Status ReadCompute(YamlSection& top, Reading& r) {
  if (!top.Has("compute")) return absl::OkStatus();
  YamlSection compute = top.Sub("compute");
  TSODSO_RETURN_IF_ERROR(compute.CheckIsMap());
  TSODSO_RETURN_IF_ERROR(compute.Int("workers", &r.cfg.compute.workers, 1, 256));
  TSODSO_RETURN_IF_ERROR(compute.Int("queue_max", &r.cfg.compute.queue_max, 1, 1000000));
  return compute.Finish();
}

absl::Status ReadMetrics(YamlSection& top, Reading& r) {
  if (!top.Has("metrics")) return absl::OkStatus();
  YamlSection metrics = top.Sub("metrics");
  TSODSO_RETURN_IF_ERROR(metrics.CheckIsMap());
  TSODSO_RETURN_IF_ERROR(metrics.String("listen", &r.cfg.metrics.listen));
  if (!r.cfg.metrics.listen.empty() && r.cfg.metrics.listen.find(':') == std::string::npos) {
    return metrics.Error("listen", absl::StrCat("'", r.cfg.metrics.listen, "' is not HOST:PORT"));
  }
  return metrics.Finish();
}

absl::Status ReadFeed(YamlSection& top, Reading& r) {
  if (!top.Has("feed")) return absl::OkStatus();
  YamlSection feed = top.Sub("feed");
  GatewayConfig& cfg = r.cfg;
  TSODSO_RETURN_IF_ERROR(feed.CheckIsMap());
  TSODSO_RETURN_IF_ERROR(feed.Int("heartbeat_interval_ms", &cfg.heartbeat_interval_ms, 100, 3600000));
  int capacity = static_cast<int>(cfg.feed.queue_capacity);
  TSODSO_RETURN_IF_ERROR(feed.Int("subscriber_queue_capacity", &capacity, 2, 1000000));
  cfg.feed.queue_capacity = static_cast<size_t>(capacity);
  TSODSO_RETURN_IF_ERROR(feed.Int("replay_page_size", &cfg.feed.replay_page, 1, 100000));
  int max_streams = static_cast<int>(cfg.feed.max_streams_per_party);
  TSODSO_RETURN_IF_ERROR(feed.Int("max_streams_per_party", &max_streams, 1, 100000));
  cfg.feed.max_streams_per_party = static_cast<size_t>(max_streams);
  int recent_events = static_cast<int>(cfg.feed.recent.events);
  TSODSO_RETURN_IF_ERROR(feed.Int("recent_events", &recent_events, 0, 1000000));
  cfg.feed.recent.events = static_cast<size_t>(recent_events);
  int recent_bytes = static_cast<int>(cfg.feed.recent.bytes);
  TSODSO_RETURN_IF_ERROR(feed.Int("recent_bytes", &recent_bytes, 0, 1 << 30));
  cfg.feed.recent.bytes = static_cast<size_t>(recent_bytes);
  TSODSO_RETURN_IF_ERROR(feed.Bool("hand_over", &cfg.feed.hand_over));
  TSODSO_RETURN_IF_ERROR(feed.Finish());
  // A replay page must fit below the low-water mark, or replay could
  // overfill the queue that live delivery relies on.
  if (cfg.feed.replay_page > static_cast<int>(cfg.feed.queue_capacity / 2)) {
    return feed.Error("feed.replay_page_size",
                      absl::StrCat(cfg.feed.replay_page, " must not exceed half of subscriber_queue_capacity (",
                                   cfg.feed.queue_capacity / 2, ")"));
  }
  return absl::OkStatus();
}

absl::Status ReadKeepalive(YamlSection& top, Reading& r) {
  if (!top.Has("keepalive")) return absl::OkStatus();
  YamlSection ka = top.Sub("keepalive");
  TSODSO_RETURN_IF_ERROR(ka.CheckIsMap());
  api::KeepaliveOptions& k = r.cfg.server.keepalive;
  TSODSO_RETURN_IF_ERROR(ka.Int("time_ms", &k.time_ms, 1000, 7200000));
  TSODSO_RETURN_IF_ERROR(ka.Int("timeout_ms", &k.timeout_ms, 1000, 600000));
  TSODSO_RETURN_IF_ERROR(ka.Int("min_client_ping_interval_ms", &k.min_client_ping_interval_ms, 1000, 7200000));
  TSODSO_RETURN_IF_ERROR(ka.Int("max_connection_age_ms", &k.max_connection_age_ms, 0, 7 * 86400000));
  TSODSO_RETURN_IF_ERROR(ka.Int("max_connection_age_grace_ms", &k.max_connection_age_grace_ms, 0, 86400000));
  return ka.Finish();
}

absl::Status ReadFlexibility(YamlSection& top, Reading& r) {
  if (!top.Has("flexibility")) return absl::OkStatus();
  YamlSection fx = top.Sub("flexibility");
  TSODSO_RETURN_IF_ERROR(fx.CheckIsMap());
  FlexibilityConfig& f = r.cfg.flexibility;
  TSODSO_RETURN_IF_ERROR(fx.Path("der_classes", &f.der_classes, r.base, true));
  TSODSO_RETURN_IF_ERROR(fx.Int("publish_interval_s", &f.publish_interval_s, 10, 86400));
  TSODSO_RETURN_IF_ERROR(fx.Int("horizon_hours", &f.horizon_hours, 1, 24 * 7));
  TSODSO_RETURN_IF_ERROR(fx.Int("lease_period_s", &f.lease_period_s, 3, 3600));
  TSODSO_RETURN_IF_ERROR(fx.Bool("grid_area_cache", &f.grid_area_cache));
  YAML::Node per_pcc = fx.Get("pccs");
  if (!per_pcc.IsMap() || per_pcc.size() == 0) {
    return fx.Error("flexibility.pccs", "must map PCC ids to {scenario name: file}");
  }
  for (const auto& kv : per_pcc) {
    const std::string pcc = kv.first.as<std::string>();
    if (!kv.second.IsMap()) return fx.Error("flexibility.pccs." + pcc, "must map scenario names to files");
    for (const auto& sc : kv.second) {
      f.scenarios[pcc][sc.first.as<std::string>()] = ResolvedPath(sc.second.as<std::string>(), r.base);
    }
    if (!f.scenarios[pcc].count("current")) {
      return fx.Error("flexibility.pccs." + pcc, "needs a 'current' scenario (the live one)");
    }
  }
  return fx.Finish();
}

absl::Status ReadGrid(YamlSection& top, Reading& r) {
  if (!top.Has("grid")) return absl::OkStatus();
  YamlSection gs = top.Sub("grid");
  TSODSO_RETURN_IF_ERROR(gs.CheckIsMap());
  YAML::Node per_pcc = gs.Get("pccs");
  if (!per_pcc.IsMap() || per_pcc.size() == 0) {
    return gs.Error("grid.pccs", "must map PCC ids to network model directories");
  }
  for (const auto& kv : per_pcc) {
    const std::string pcc = kv.first.as<std::string>();
    if (!kv.second.IsScalar()) return gs.Error("grid.pccs." + pcc, "must be a directory");
    r.cfg.grid.model_dirs[pcc] = ResolvedPath(kv.second.as<std::string>(), r.base);
  }
  // A share, not a percentage: 2 would keep twice the rating free.
  core::SecurityMargins& margins = r.cfg.grid.margins;
  TSODSO_RETURN_IF_ERROR(gs.Double("thermal_margin", &margins.thermal));
  if (margins.thermal < 0 || margins.thermal > 0.5) {
    return gs.Error(gs.Key("thermal_margin"),
                    absl::StrCat("must be a share of a rating between 0 and 0.5, got ", margins.thermal));
  }
  TSODSO_RETURN_IF_ERROR(gs.Double("voltage_margin_pu", &margins.voltage_pu));
  if (margins.voltage_pu < 0 || margins.voltage_pu > 0.05) {
    return gs.Error(gs.Key("voltage_margin_pu"), absl::StrCat("must be between 0 and 0.05, got ", margins.voltage_pu));
  }
  return gs.Finish();
}

absl::Status ReadSchedules(YamlSection& top, Reading& r) {
  if (!top.Has("schedules")) return absl::OkStatus();
  YamlSection ss = top.Sub("schedules");
  TSODSO_RETURN_IF_ERROR(ss.CheckIsMap());
  TSODSO_RETURN_IF_ERROR(ss.Int("horizon_days", &r.cfg.schedules.horizon_days, 0, 14));
  std::string zone = r.cfg.schedules.time_zone;
  TSODSO_RETURN_IF_ERROR(ss.String("time_zone", &zone));
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(zone, &tz)) return ss.Error("schedules.time_zone", "unknown time zone '" + zone + "'");
  r.cfg.schedules.time_zone = zone;
  return ss.Finish();
}

// After ReadFlexibility: a history belongs to a PCC with a flexibility model.
absl::Status ReadForecast(YamlSection& top, Reading& r) {
  if (!top.Has("forecast")) return absl::OkStatus();
  YamlSection fc = top.Sub("forecast");
  TSODSO_RETURN_IF_ERROR(fc.CheckIsMap());
  ForecastConfig& f = r.cfg.forecast;
  TSODSO_RETURN_IF_ERROR(fc.Bool("enabled", &f.enabled));
  std::string gate = "12:00";
  TSODSO_RETURN_IF_ERROR(fc.String("gate_time", &gate));
  int hh = -1, mm = -1;
  char extra = 0;
  if (std::sscanf(gate.c_str(), "%2d:%2d%c", &hh, &mm, &extra) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59) {
    return fc.Error("forecast.gate_time", "'" + gate + "' is not a local time HH:MM");
  }
  f.gate_minutes = hh * 60 + mm;
  TSODSO_RETURN_IF_ERROR(fc.String("time_zone", &f.time_zone));
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(f.time_zone, &tz)) {
    return fc.Error("forecast.time_zone", "unknown time zone '" + f.time_zone + "'");
  }
  TSODSO_RETURN_IF_ERROR(fc.Int("intraday_hours", &f.intraday_hours, 1, 24));
  TSODSO_RETURN_IF_ERROR(fc.String("history_column", &f.history_column));
  TSODSO_RETURN_IF_ERROR(fc.Int("max_fill_minutes", &f.max_fill_minutes, 0, 24 * 60));
  if (fc.Has("history")) {
    YAML::Node per_pcc = fc.Get("history");
    if (!per_pcc.IsMap()) return fc.Error("forecast.history", "must map PCC ids to history files");
    for (const auto& kv : per_pcc) {
      const std::string pcc = kv.first.as<std::string>();
      if (!r.cfg.flexibility.scenarios.count(pcc)) {
        return fc.Error("forecast.history." + pcc, "is not a PCC of flexibility.pccs (a forecast needs its model)");
      }
      if (!kv.second.IsScalar()) return fc.Error("forecast.history." + pcc, "must be a file");
      f.history_files[pcc] = ResolvedPath(kv.second.as<std::string>(), r.base);
    }
  }
  return fc.Finish();
}

absl::Status ReadPccs(YamlSection& top, Reading& r) {
  std::vector<core::Pcc>* out = &r.pccs;
  YAML::Node list = top.Get("pccs");
  if (!list.IsSequence() || list.size() == 0) return top.Error("pccs", "must be a non-empty list");
  for (size_t i = 0; i < list.size(); ++i) {
    YamlSection s(list[i], absl::StrCat("pccs[", i, "]"), top.file());
    TSODSO_RETURN_IF_ERROR(s.CheckIsMap());
    core::Pcc pcc;
    TSODSO_RETURN_IF_ERROR(s.String("id", &pcc.id, true));
    for (char c : pcc.id) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
        return s.Error(s.Key("id"), absl::StrCat("'", pcc.id, "' may hold only letters, digits, '_', '-' and '.'"));
      }
    }
    TSODSO_RETURN_IF_ERROR(s.String("name", &pcc.display_name, true));
    if (s.Has("voltage_levels_kv")) {
      YAML::Node kv = s.Get("voltage_levels_kv");
      if (!kv.IsSequence()) return s.Error(s.Key("voltage_levels_kv"), "must be a list of numbers");
      for (const auto& v : kv) {
        double d = 0;
        if (!YAML::convert<double>::decode(v, d) || !(d > 0)) {
          return s.Error(s.Key("voltage_levels_kv"), absl::StrCat("'", v.Scalar(), "' is not a positive voltage"));
        }
        pcc.voltage_levels_kv.push_back(d);
      }
    }
    TSODSO_RETURN_IF_ERROR(s.Finish());
    out->push_back(std::move(pcc));
  }
  return absl::OkStatus();
}

absl::Status ReadParties(YamlSection& top, Reading& r) {
  std::vector<core::Party>* out = &r.parties;
  YAML::Node list = top.Get("parties");
  if (!list.IsSequence() || list.size() == 0) return top.Error("parties", "must be a non-empty list");
  for (size_t i = 0; i < list.size(); ++i) {
    YamlSection s(list[i], absl::StrCat("parties[", i, "]"), top.file());
    TSODSO_RETURN_IF_ERROR(s.CheckIsMap());
    core::Party party;
    std::string role;
    TSODSO_RETURN_IF_ERROR(s.String("id", &party.id, true));
    TSODSO_RETURN_IF_ERROR(s.String("role", &role, true));
    auto parsed = core::ParseRole(role);
    if (!parsed)
      return s.Error(s.Key("role"), absl::StrCat("'", role, "' is not one of TSO, AGGREGATOR, DSO_OPERATOR"));
    party.role = *parsed;
    TSODSO_RETURN_IF_ERROR(s.String("identity", &party.certificate_identity, true));
    if (s.Has("pccs")) {
      YAML::Node pccs = s.Get("pccs");
      if (pccs.IsScalar() && pccs.Scalar() == "*") {
        party.all_pccs = true;
      } else if (pccs.IsSequence()) {
        for (const auto& p : pccs) party.pcc_ids.insert(p.as<std::string>());
      } else {
        return s.Error(s.Key("pccs"), "must be a list of PCC ids or \"*\" for all");
      }
    }
    TSODSO_RETURN_IF_ERROR(s.Finish());
    out->push_back(std::move(party));
  }
  return absl::OkStatus();
}

absl::Status ReadPortfolios(YamlSection& top, Reading& r) {
  std::vector<core::Portfolio>* out = &r.cfg.portfolios;
  if (!top.Has("portfolios")) return absl::OkStatus();
  YAML::Node list = top.Get("portfolios");
  if (!list.IsSequence()) return top.Error("portfolios", "must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    YamlSection s(list[i], absl::StrCat("portfolios[", i, "]"), top.file());
    TSODSO_RETURN_IF_ERROR(s.CheckIsMap());
    core::Portfolio p;
    TSODSO_RETURN_IF_ERROR(s.String("id", &p.id, true));
    TSODSO_RETURN_IF_ERROR(s.String("aggregator", &p.aggregator, true));
    TSODSO_RETURN_IF_ERROR(s.String("pcc", &p.pcc_id, true));
    TSODSO_RETURN_IF_ERROR(s.Double("p_min_mw", &p.p_min_mw, true));
    TSODSO_RETURN_IF_ERROR(s.Double("p_max_mw", &p.p_max_mw, true));
    TSODSO_RETURN_IF_ERROR(s.Double("q_min_mvar", &p.q_min_mvar));
    TSODSO_RETURN_IF_ERROR(s.Double("q_max_mvar", &p.q_max_mvar));
    TSODSO_RETURN_IF_ERROR(s.Finish());
    out->push_back(std::move(p));
  }
  return absl::OkStatus();
}

// Every top-level key with its reader, in the order they are read: a key
// missing here is unknown.
struct TopLevelKey {
  const char* key;
  absl::Status (*read)(YamlSection& top, Reading& r);
};
constexpr TopLevelKey kTopLevel[] = {
    {"listen", ReadListen},
    {"data_dir", ReadDataDir},
    {"log_level", ReadLogLevel},
    {"log_format", ReadLogFormat},
    {"shutdown_grace_ms", ReadShutdownGrace},
    {"tls", ReadTls},
    {"database", ReadDatabase},
    {"compute", ReadCompute},
    {"metrics", ReadMetrics},
    {"feed", ReadFeed},
    {"keepalive", ReadKeepalive},
    {"flexibility", ReadFlexibility},
    {"grid", ReadGrid},
    {"schedules", ReadSchedules},
    {"forecast", ReadForecast},
    {"pccs", ReadPccs},
    {"parties", ReadParties},
    {"portfolios", ReadPortfolios},
};

// Check what refers across sections: PCCs named by flexibility, grid and
// portfolios must be in the registry.
absl::Status BuildRegistry(YamlSection& top, Reading& r) {
  GatewayConfig& cfg = r.cfg;
  auto registry = core::PartyRegistry::Create(std::move(r.pccs), std::move(r.parties), top.file());
  if (!registry.ok()) return registry.status();
  cfg.registry = std::make_shared<const core::PartyRegistry>(std::move(*registry));
  for (const auto& [pcc, scenarios] : cfg.flexibility.scenarios) {
    if (cfg.registry->FindPcc(pcc) == nullptr) {
      return top.Error("flexibility.pccs." + pcc, "unknown PCC '" + pcc + "'");
    }
  }
  TSODSO_RETURN_IF_ERROR(core::CheckPortfolios(cfg.portfolios, *cfg.registry, top.file()));
  for (const auto& [pcc, dir] : cfg.grid.model_dirs) {
    if (cfg.registry->FindPcc(pcc) == nullptr) return top.Error("grid.pccs." + pcc, "unknown PCC '" + pcc + "'");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GatewayConfig> LoadConfig(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the file"));
  } catch (const YAML::Exception& e) {
    return YamlSyntaxError(path, e);
  }
  GatewayConfig cfg;
  cfg.source = path;
  Reading reading{cfg, fs::absolute(path).parent_path(), {}, {}};
  try {
    YamlSection top(root, "", path);
    TSODSO_RETURN_IF_ERROR(top.CheckIsMap());
    // Unknown top-level keys first: a misspelt section would otherwise be
    // reported as a missing one.
    for (const TopLevelKey& k : kTopLevel) top.Get(k.key);
    TSODSO_RETURN_IF_ERROR(top.Finish());
    for (const TopLevelKey& k : kTopLevel) TSODSO_RETURN_IF_ERROR(k.read(top, reading));
    TSODSO_RETURN_IF_ERROR(BuildRegistry(top, reading));
  } catch (const YAML::Exception& e) {
    return YamlSyntaxError(path, e);
  }
  return cfg;
}

}  // namespace tsodso::app
