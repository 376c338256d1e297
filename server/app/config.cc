#include "app/config.h"

#include <cmath>
#include <cstdio>

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tsodso::app {
namespace fs = std::filesystem;
namespace {

// Return a path named in the file: relative ones are taken from the file's
// directory `base`.
std::string Resolved(const std::string& path, const fs::path& base) {
  return fs::path(path).is_relative() ? (base / path).lexically_normal().string() : path;
}

// Reads one YAML mapping and remembers which keys were used, so that every
// key left over (a typo, an option that does not exist) is reported.
class Section {
 public:
  Section(const YAML::Node& node, std::string path, const std::string& file)
      : node_(node), path_(std::move(path)), file_(file) {}

  absl::Status CheckIsMap() const {
    if (!node_.IsMap()) return Error(path_.empty() ? "(top level)" : path_, "must be a mapping");
    return absl::OkStatus();
  }
  std::string Key(const std::string& key) const { return path_.empty() ? key : absl::StrCat(path_, ".", key); }
  absl::Status Error(const std::string& key, const std::string& reason) const {
    return absl::InvalidArgumentError(absl::StrCat(file_, ": key '", key, "': ", reason));
  }
  bool Has(const std::string& key) {
    used_.insert(key);
    return std::as_const(node_)[key].IsDefined() && !std::as_const(node_)[key].IsNull();
  }
  YAML::Node Get(const std::string& key) {
    used_.insert(key);
    return std::as_const(node_)[key];
  }

  absl::Status String(const std::string& key, std::string* out, bool required = false) {
    if (!Has(key)) return required ? Error(Key(key), "is required") : absl::OkStatus();
    YAML::Node n = std::as_const(node_)[key];
    if (!n.IsScalar()) return Error(Key(key), "must be a string");
    *out = n.as<std::string>();
    return absl::OkStatus();
  }
  absl::Status Int(const std::string& key, int* out, int min, int max) {
    if (!Has(key)) return absl::OkStatus();
    YAML::Node n = std::as_const(node_)[key];
    int v = 0;
    if (!n.IsScalar() || !YAML::convert<int>::decode(n, v)) {
      return Error(Key(key), absl::StrCat("must be an integer, got '", n.IsScalar() ? n.Scalar() : "?", "'"));
    }
    if (v < min || v > max) return Error(Key(key), absl::StrCat("must be between ", min, " and ", max, ", got ", v));
    *out = v;
    return absl::OkStatus();
  }
  absl::Status Bool(const std::string& key, bool* out) {
    if (!Has(key)) return absl::OkStatus();
    YAML::Node n = std::as_const(node_)[key];
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
      return Error(Key(key), absl::StrCat("must be true or false, got '", n.IsScalar() ? n.Scalar() : "?", "'"));
    }
    *out = v;
    return absl::OkStatus();
  }
  absl::Status Double(const std::string& key, double* out, bool required = false) {
    if (!Has(key)) return required ? Error(Key(key), "is required") : absl::OkStatus();
    YAML::Node n = std::as_const(node_)[key];
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v)) {
      return Error(Key(key), absl::StrCat("must be a number, got '", n.IsScalar() ? n.Scalar() : "?", "'"));
    }
    *out = v;
    return absl::OkStatus();
  }
  absl::Status Path(const std::string& key, std::string* out, const fs::path& base, bool required) {
    if (auto st = String(key, out, required); !st.ok()) return st;
    if (!out->empty()) *out = Resolved(*out, base);
    return absl::OkStatus();
  }
  absl::Status Finish() const {
    if (!node_.IsMap()) return absl::OkStatus();
    for (const auto& kv : node_) {
      const std::string key = kv.first.as<std::string>();
      if (!used_.count(key)) return Error(Key(key), "unknown key");
    }
    return absl::OkStatus();
  }

 private:
  YAML::Node node_;
  std::string path_;
  const std::string& file_;
  std::set<std::string> used_;
};

#define TSODSO_TRY(expr)                          \
  do {                                            \
    if (auto _st = (expr); !_st.ok()) return _st; \
  } while (0)

absl::Status ReadPccs(Section& top, const std::string& file, std::vector<core::Pcc>* out) {
  YAML::Node list = top.Get("pccs");
  if (!list.IsSequence() || list.size() == 0) return top.Error("pccs", "must be a non-empty list");
  for (size_t i = 0; i < list.size(); ++i) {
    Section s(list[i], absl::StrCat("pccs[", i, "]"), file);
    TSODSO_TRY(s.CheckIsMap());
    core::Pcc pcc;
    TSODSO_TRY(s.String("id", &pcc.id, true));
    for (char c : pcc.id) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
        return s.Error(s.Key("id"), absl::StrCat("'", pcc.id, "' may hold only letters, digits, '_', '-' and '.'"));
      }
    }
    TSODSO_TRY(s.String("name", &pcc.display_name, true));
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
    TSODSO_TRY(s.Finish());
    out->push_back(std::move(pcc));
  }
  return absl::OkStatus();
}

absl::Status ReadParties(Section& top, const std::string& file, std::vector<core::Party>* out) {
  YAML::Node list = top.Get("parties");
  if (!list.IsSequence() || list.size() == 0) return top.Error("parties", "must be a non-empty list");
  for (size_t i = 0; i < list.size(); ++i) {
    Section s(list[i], absl::StrCat("parties[", i, "]"), file);
    TSODSO_TRY(s.CheckIsMap());
    core::Party party;
    std::string role;
    TSODSO_TRY(s.String("id", &party.id, true));
    TSODSO_TRY(s.String("role", &role, true));
    auto parsed = core::ParseRole(role);
    if (!parsed)
      return s.Error(s.Key("role"), absl::StrCat("'", role, "' is not one of TSO, AGGREGATOR, DSO_OPERATOR"));
    party.role = *parsed;
    TSODSO_TRY(s.String("identity", &party.certificate_identity, true));
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
    TSODSO_TRY(s.Finish());
    out->push_back(std::move(party));
  }
  return absl::OkStatus();
}

absl::Status ReadPortfolios(Section& top, const std::string& file, std::vector<core::Portfolio>* out) {
  if (!top.Has("portfolios")) return absl::OkStatus();
  YAML::Node list = top.Get("portfolios");
  if (!list.IsSequence()) return top.Error("portfolios", "must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    Section s(list[i], absl::StrCat("portfolios[", i, "]"), file);
    TSODSO_TRY(s.CheckIsMap());
    core::Portfolio p;
    TSODSO_TRY(s.String("id", &p.id, true));
    TSODSO_TRY(s.String("aggregator", &p.aggregator, true));
    TSODSO_TRY(s.String("pcc", &p.pcc_id, true));
    TSODSO_TRY(s.Double("p_min_mw", &p.p_min_mw, true));
    TSODSO_TRY(s.Double("p_max_mw", &p.p_max_mw, true));
    TSODSO_TRY(s.Double("q_min_mvar", &p.q_min_mvar));
    TSODSO_TRY(s.Double("q_max_mvar", &p.q_max_mvar));
    TSODSO_TRY(s.Finish());
    out->push_back(std::move(p));
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
    return absl::InvalidArgumentError(absl::StrCat(path, ": line ", e.mark.line + 1, ": ", e.msg));
  }
  GatewayConfig cfg;
  cfg.source = path;
  const fs::path base = fs::absolute(path).parent_path();
  try {
    Section top(root, "", path);
    TSODSO_TRY(top.CheckIsMap());
    // Unknown top-level keys first: a misspelt section would otherwise be
    // reported as a missing one.
    static const std::set<std::string> kTopKeys = {"listen",     "data_dir",  "log_level",   "shutdown_grace_ms",
                                                   "tls",        "database",  "feed",        "keepalive",
                                                   "pccs",       "parties",   "flexibility", "grid",
                                                   "portfolios", "schedules", "forecast"};
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      if (!kTopKeys.count(key)) return top.Error(key, "unknown key");
    }
    TSODSO_TRY(top.String("listen", &cfg.server.listen_address, true));
    TSODSO_TRY(top.Path("data_dir", &cfg.data_dir, base, true));
    TSODSO_TRY(top.String("log_level", &cfg.log_level));
    static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
    if (!kLevels.count(cfg.log_level)) {
      return top.Error("log_level", absl::StrCat("'", cfg.log_level, "' is not one of ", absl::StrJoin(kLevels, ", ")));
    }
    TSODSO_TRY(top.Int("shutdown_grace_ms", &cfg.shutdown_grace_ms, 0, 600000));

    Section tls(top.Get("tls"), "tls", path);
    if (!top.Has("tls")) return top.Error("tls", "is required: the gateway only speaks mutual TLS");
    TSODSO_TRY(tls.CheckIsMap());
    api::TlsOptions& t = cfg.server.tls;
    TSODSO_TRY(tls.Path("cert", &t.cert_file, base, true));
    TSODSO_TRY(tls.Path("key", &t.key_file, base, true));
    TSODSO_TRY(tls.Path("client_ca", &t.client_ca_file, base, true));
    TSODSO_TRY(tls.Path("crl_dir", &t.crl_dir, base, false));
    std::string identity = "subject_cn";
    TSODSO_TRY(tls.String("identity", &identity));
    if (identity == "subject_cn") {
      t.identity_source = api::IdentitySource::kSubjectCn;
    } else if (identity == "san_uri") {
      t.identity_source = api::IdentitySource::kSanUri;
    } else {
      return tls.Error("tls.identity", absl::StrCat("'", identity, "' is not one of subject_cn, san_uri"));
    }
    TSODSO_TRY(tls.Int("refresh_interval_s", &t.refresh_interval_s, 1, 86400));
    TSODSO_TRY(tls.Finish());

    if (top.Has("database")) {
      Section db(top.Get("database"), "database", path);
      TSODSO_TRY(db.CheckIsMap());
      TSODSO_TRY(db.String("dsn", &cfg.database.dsn));
      TSODSO_TRY(db.Int("pool_size", &cfg.database.pool_size, 1, 64));
      TSODSO_TRY(db.Path("embedded_bin_dir", &cfg.database.embedded_bin_dir, base, false));
      TSODSO_TRY(db.Finish());
    }
    if (const char* env = std::getenv("TSODSO_DATABASE_DSN"); env != nullptr && *env != '\0') cfg.database.dsn = env;

    if (top.Has("feed")) {
      Section feed(top.Get("feed"), "feed", path);
      TSODSO_TRY(feed.CheckIsMap());
      TSODSO_TRY(feed.Int("heartbeat_interval_ms", &cfg.heartbeat_interval_ms, 100, 3600000));
      int capacity = static_cast<int>(cfg.feed.queue_capacity);
      TSODSO_TRY(feed.Int("subscriber_queue_capacity", &capacity, 2, 1000000));
      cfg.feed.queue_capacity = static_cast<size_t>(capacity);
      TSODSO_TRY(feed.Int("replay_page_size", &cfg.feed.replay_page, 1, 100000));
      TSODSO_TRY(feed.Finish());  // A replay page must fit below the low-water mark, or replay could
      // overfill the queue that live delivery relies on.
      if (cfg.feed.replay_page > static_cast<int>(cfg.feed.queue_capacity / 2)) {
        return feed.Error("feed.replay_page_size",
                          absl::StrCat(cfg.feed.replay_page, " must not exceed half of subscriber_queue_capacity (",
                                       cfg.feed.queue_capacity / 2, ")"));
      }
    }
    if (top.Has("keepalive")) {
      Section ka(top.Get("keepalive"), "keepalive", path);
      TSODSO_TRY(ka.CheckIsMap());
      api::KeepaliveOptions& k = cfg.server.keepalive;
      TSODSO_TRY(ka.Int("time_ms", &k.time_ms, 1000, 7200000));
      TSODSO_TRY(ka.Int("timeout_ms", &k.timeout_ms, 1000, 600000));
      TSODSO_TRY(ka.Int("min_client_ping_interval_ms", &k.min_client_ping_interval_ms, 1000, 7200000));
      TSODSO_TRY(ka.Finish());
    }
    if (top.Has("flexibility")) {
      Section fx(top.Get("flexibility"), "flexibility", path);
      TSODSO_TRY(fx.CheckIsMap());
      FlexibilityConfig& f = cfg.flexibility;
      TSODSO_TRY(fx.Path("der_classes", &f.der_classes, base, true));
      TSODSO_TRY(fx.Int("publish_interval_s", &f.publish_interval_s, 10, 86400));
      TSODSO_TRY(fx.Int("horizon_hours", &f.horizon_hours, 1, 24 * 7));
      YAML::Node per_pcc = fx.Get("pccs");
      if (!per_pcc.IsMap() || per_pcc.size() == 0) {
        return fx.Error("flexibility.pccs", "must map PCC ids to {scenario name: file}");
      }
      for (const auto& kv : per_pcc) {
        const std::string pcc = kv.first.as<std::string>();
        if (!kv.second.IsMap()) return fx.Error("flexibility.pccs." + pcc, "must map scenario names to files");
        for (const auto& sc : kv.second) {
          std::string file = sc.second.as<std::string>();
          file = Resolved(file, base);
          f.scenarios[pcc][sc.first.as<std::string>()] = file;
        }
        if (!f.scenarios[pcc].count("current")) {
          return fx.Error("flexibility.pccs." + pcc, "needs a 'current' scenario (the live one)");
        }
      }
      TSODSO_TRY(fx.Finish());
    }
    if (top.Has("grid")) {
      Section gs(top.Get("grid"), "grid", path);
      TSODSO_TRY(gs.CheckIsMap());
      YAML::Node per_pcc = gs.Get("pccs");
      if (!per_pcc.IsMap() || per_pcc.size() == 0) {
        return gs.Error("grid.pccs", "must map PCC ids to network model directories");
      }
      for (const auto& kv : per_pcc) {
        const std::string pcc = kv.first.as<std::string>();
        if (!kv.second.IsScalar()) return gs.Error("grid.pccs." + pcc, "must be a directory");
        std::string dir = kv.second.as<std::string>();
        dir = Resolved(dir, base);
        cfg.grid.model_dirs[pcc] = dir;
      }
      TSODSO_TRY(gs.Finish());
    }
    if (top.Has("schedules")) {
      Section ss(top.Get("schedules"), "schedules", path);
      TSODSO_TRY(ss.CheckIsMap());
      TSODSO_TRY(ss.Int("horizon_days", &cfg.schedules.horizon_days, 0, 14));
      std::string zone = cfg.schedules.time_zone;
      TSODSO_TRY(ss.String("time_zone", &zone));
      absl::TimeZone tz;
      if (!absl::LoadTimeZone(zone, &tz)) return ss.Error("schedules.time_zone", "unknown time zone '" + zone + "'");
      cfg.schedules.time_zone = zone;
      TSODSO_TRY(ss.Finish());
    }

    if (top.Has("forecast")) {
      Section fc(top.Get("forecast"), "forecast", path);
      TSODSO_TRY(fc.CheckIsMap());
      ForecastConfig& f = cfg.forecast;
      TSODSO_TRY(fc.Bool("enabled", &f.enabled));
      std::string gate = "12:00";
      TSODSO_TRY(fc.String("gate_time", &gate));
      int hh = -1, mm = -1;
      char extra = 0;
      if (std::sscanf(gate.c_str(), "%2d:%2d%c", &hh, &mm, &extra) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59) {
        return fc.Error("forecast.gate_time", "'" + gate + "' is not a local time HH:MM");
      }
      f.gate_minutes = hh * 60 + mm;
      TSODSO_TRY(fc.String("time_zone", &f.time_zone));
      absl::TimeZone tz;
      if (!absl::LoadTimeZone(f.time_zone, &tz)) {
        return fc.Error("forecast.time_zone", "unknown time zone '" + f.time_zone + "'");
      }
      TSODSO_TRY(fc.Int("intraday_hours", &f.intraday_hours, 1, 24));
      TSODSO_TRY(fc.String("history_column", &f.history_column));
      TSODSO_TRY(fc.Int("max_fill_minutes", &f.max_fill_minutes, 0, 24 * 60));
      if (fc.Has("history")) {
        YAML::Node per_pcc = fc.Get("history");
        if (!per_pcc.IsMap()) return fc.Error("forecast.history", "must map PCC ids to history files");
        for (const auto& kv : per_pcc) {
          const std::string pcc = kv.first.as<std::string>();
          if (!cfg.flexibility.scenarios.count(pcc)) {
            return fc.Error("forecast.history." + pcc, "is not a PCC of flexibility.pccs (a forecast needs its model)");
          }
          if (!kv.second.IsScalar()) return fc.Error("forecast.history." + pcc, "must be a file");
          std::string file = kv.second.as<std::string>();
          file = Resolved(file, base);
          f.history_files[pcc] = file;
        }
      }
      TSODSO_TRY(fc.Finish());
    }

    std::vector<core::Pcc> pccs;
    std::vector<core::Party> parties;
    TSODSO_TRY(ReadPccs(top, path, &pccs));
    TSODSO_TRY(ReadParties(top, path, &parties));
    TSODSO_TRY(ReadPortfolios(top, path, &cfg.portfolios));
    TSODSO_TRY(top.Finish());
    auto registry = core::PartyRegistry::Create(std::move(pccs), std::move(parties), path);
    if (!registry.ok()) return registry.status();
    cfg.registry = std::make_shared<const core::PartyRegistry>(std::move(*registry));
    for (const auto& [pcc, scenarios] : cfg.flexibility.scenarios) {
      if (cfg.registry->FindPcc(pcc) == nullptr) {
        return top.Error("flexibility.pccs." + pcc, "unknown PCC '" + pcc + "'");
      }
    }
    TSODSO_TRY(core::CheckPortfolios(cfg.portfolios, *cfg.registry, path));
    for (const auto& [pcc, dir] : cfg.grid.model_dirs) {
      if (cfg.registry->FindPcc(pcc) == nullptr) return top.Error("grid.pccs." + pcc, "unknown PCC '" + pcc + "'");
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": line ", e.mark.line + 1, ": ", e.msg));
  }
  return cfg;
}

}  // namespace tsodso::app
