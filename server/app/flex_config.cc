#include "app/flex_config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "app/text_file.h"
#include "core/profiles/profile.h"

namespace tsodso::app {
namespace fs = std::filesystem;
namespace {

absl::Status Unknown(const YAML::Node& node, const std::set<std::string>& allowed, const std::string& file,
                     const std::string& where) {
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (!allowed.count(key)) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": ", where, ": unknown key '", key, "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status Number(const YAML::Node& n, const std::string& key, double* out, const std::string& file,
                    const std::string& where) {
  const YAML::Node v = n[key];
  if (!v.IsDefined() || v.IsNull()) return absl::OkStatus();
  if (!v.IsScalar() || !YAML::convert<double>::decode(v, *out)) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": ", where, ": ", key, ": '", v.IsScalar() ? v.Scalar() : "?", "' is not a number"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::map<std::string, core::DerClass>> LoadDerClasses(const std::string& path) {
  std::map<std::string, core::DerClass> out;
  try {
    const YAML::Node root = YAML::LoadFile(path);
    if (auto st = Unknown(root, {"classes"}, path, "top level"); !st.ok()) return st;
    const YAML::Node classes = root["classes"];
    if (!classes.IsMap() || classes.size() == 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": 'classes' must be a non-empty mapping"));
    }
    for (const auto& kv : classes) {
      const std::string name = kv.first.as<std::string>();
      const YAML::Node& n = kv.second;
      const std::string where = absl::StrCat("class '", name, "'");
      if (auto st = Unknown(n,
                            {"kind", "q_pf", "p_min_pu", "rated_pf", "pf_over", "pf_under", "soc_min", "soc_max",
                             "energy_hours", "plugged_per_charging", "circle_segments", "sn_mva", "vertices"},
                            path, where);
          !st.ok()) {
        return st;
      }
      core::DerClass c;
      c.name = name;
      const std::string kind = n["kind"] ? n["kind"].as<std::string>() : "";
      if (!core::ParseDerKind(kind, &c.kind)) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": ", where, ": kind: '", kind,
            "' is not one of inverter, synchronous, run_of_river_hydro, storage, v2g, ev_charging, polygon"));
      }
      double segments = c.circle_segments;
      for (auto [key, field] :
           std::initializer_list<std::pair<const char*, double*>>{{"q_pf", &c.q_pf},
                                                                  {"p_min_pu", &c.p_min_pu},
                                                                  {"rated_pf", &c.rated_pf},
                                                                  {"pf_over", &c.pf_over},
                                                                  {"pf_under", &c.pf_under},
                                                                  {"soc_min", &c.soc_min},
                                                                  {"soc_max", &c.soc_max},
                                                                  {"energy_hours", &c.energy_hours},
                                                                  {"plugged_per_charging", &c.plugged_per_charging},
                                                                  {"circle_segments", &segments}}) {
        if (auto st = Number(n, key, field, path, where); !st.ok()) return st;
      }
      c.circle_segments = static_cast<int>(segments);
      if (n["vertices"]) {
        const YAML::Node vs = n["vertices"];
        for (size_t i = 0; vs.IsSequence() && i < vs.size(); ++i) {
          if (!vs[i].IsSequence() || vs[i].size() != 2) {
            return absl::InvalidArgumentError(
                absl::StrCat(path, ": ", where, ": vertices[", i, "]: expected [p_pu, q_pu]"));
          }
          c.vertices.push_back({vs[i][0].as<double>(), vs[i][1].as<double>()});
        }
      }
      if (n["sn_mva"]) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": ", where, ": sn_mva belongs to the inventory (scenario files), not to a class"));
      }
      if (auto st = core::ValidateDerClass(c, path); !st.ok()) return st;
      out[name] = c;
    }
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the file"));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": line ", e.mark.line + 1, ": ", e.msg));
  }
  return out;
}

absl::StatusOr<Scenario> LoadScenario(const std::string& path, const std::string& pcc_id, const std::string& name,
                                      const std::map<std::string, core::DerClass>& classes) {
  Scenario sc;
  sc.name = name;
  sc.source = path;
  sc.inputs.push_back(path);
  sc.model.pcc_id = pcc_id;
  const fs::path base = fs::absolute(path).parent_path();
  auto resolve = [&](const std::string& p) { return fs::path(p).is_relative() ? (base / p).string() : p; };
  // Profiles shared by several groups are read once.
  auto cache = std::make_shared<std::map<std::string, std::shared_ptr<core::YearProfile>>>();
  auto csv_profile = [&](const std::string& file, const std::string& where,
                         double max_value) -> absl::StatusOr<std::shared_ptr<core::YearProfile>> {
    const std::string full = resolve(file);
    if (auto it = cache->find(full); it != cache->end()) return it->second;
    auto text = ReadTextFile(full, absl::StrCat(path, ": ", where));
    if (!text.ok()) return text.status();
    auto profile = core::YearProfile::FromCsv(*text, full, 0.0, max_value);
    if (!profile.ok()) return profile.status();
    auto ptr = std::make_shared<core::YearProfile>(std::move(*profile));
    (*cache)[full] = ptr;
    sc.inputs.push_back(full);
    return ptr;
  };
  try {
    const YAML::Node root = YAML::LoadFile(path);
    if (auto st = Unknown(root, {"description", "interval_minutes", "load", "min_units_for_breakdown", "groups"}, path,
                          "top level");
        !st.ok()) {
      return st;
    }
    if (root["interval_minutes"]) {
      const int m = root["interval_minutes"].as<int>();
      if (m != 15 && m != 60) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": interval_minutes: ", m, " is neither 15 nor 60"));
      }
      sc.interval = absl::Minutes(m);
    }
    if (root["min_units_for_breakdown"]) {
      sc.model.min_units_for_breakdown = root["min_units_for_breakdown"].as<int>();
      if (sc.model.min_units_for_breakdown < 2) {
        return absl::InvalidArgumentError(absl::StrCat(path,
                                                       ": min_units_for_breakdown: ", sc.model.min_units_for_breakdown,
                                                       " must be at least 2, or a breakdown reveals single units"));
      }
    }

    const YAML::Node load = root["load"];
    if (!load.IsMap()) return absl::InvalidArgumentError(absl::StrCat(path, ": load: required mapping"));
    if (auto st = Unknown(load, {"profile", "peak_mw", "power_factor", "align_weekdays", "q_profile", "peak_mvar"},
                          path, "load");
        !st.ok()) {
      return st;
    }
    double peak = 0;
    if (auto st = Number(load, "peak_mw", &peak, path, "load"); !st.ok()) return st;
    if (!(peak > 0))
      return absl::InvalidArgumentError(absl::StrCat(path, ": load: peak_mw: ", peak, " must be positive"));
    if (auto st = Number(load, "power_factor", &sc.model.load_pf, path, "load"); !st.ok()) return st;
    if (!(sc.model.load_pf > 0 && sc.model.load_pf <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": load: power_factor: ", sc.model.load_pf, " is not in (0, 1]"));
    }
    auto load_profile = csv_profile(load["profile"] ? load["profile"].as<std::string>() : "", "load.profile", 1.0);
    if (!load_profile.ok()) return load_profile.status();
    std::shared_ptr<core::YearProfile> shape = *load_profile;
    if (load["align_weekdays"] && load["align_weekdays"].as<bool>()) {
      auto aligned = std::make_shared<core::YearProfile>(*shape);
      aligned->set_align_weekdays(true);
      shape = aligned;
    }
    sc.model.load_mw = [p = shape, peak](absl::Time t) { return peak * p->At(t); };
    if (load["q_profile"]) {
      // A measured or estimated reactive history, per unit of peak_mvar
      // (-1..1: a PCC may export reactive power).
      double peak_q = 0;
      if (auto st = Number(load, "peak_mvar", &peak_q, path, "load"); !st.ok()) return st;
      if (!(peak_q > 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": load: peak_mvar: ", peak_q, " must be positive with q_profile"));
      }
      const std::string full = resolve(load["q_profile"].as<std::string>());
      auto text = ReadTextFile(full, absl::StrCat(path, ": load.q_profile"));
      if (!text.ok()) return text.status();
      auto q = core::YearProfile::FromCsv(*text, full, -1.0, 1.0);
      if (!q.ok()) return q.status();
      sc.inputs.push_back(full);
      auto qp = std::make_shared<core::YearProfile>(std::move(*q));
      qp->set_align_weekdays(load["align_weekdays"] && load["align_weekdays"].as<bool>());
      sc.model.load_mvar = [qp, peak_q](absl::Time t) { return peak_q * qp->At(t); };
    }

    const YAML::Node groups = root["groups"];
    if (!groups.IsSequence()) return absl::InvalidArgumentError(absl::StrCat(path, ": groups: required list"));
    for (size_t i = 0; i < groups.size(); ++i) {
      const YAML::Node g = groups[i];
      const std::string where = absl::StrCat("groups[", i, "]");
      if (auto st = Unknown(g, {"name", "class", "sn_mva", "units", "profile"}, path, where); !st.ok()) return st;
      core::DerGroup group;
      group.name = g["name"] ? g["name"].as<std::string>() : "";
      const std::string cls = g["class"] ? g["class"].as<std::string>() : "";
      auto it = classes.find(cls);
      if (it == classes.end()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", where, ": class: unknown DER class '", cls, "'"));
      }
      group.der_class = it->second;
      if (auto st = Number(g, "sn_mva", &group.sn_mva, path, where); !st.ok()) return st;
      if (!(group.sn_mva > 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": ", where, " (", group.name, "): sn_mva: ", group.sn_mva, " must be positive"));
      }
      group.units = g["units"] ? g["units"].as<int>() : 1;
      if (group.units < 1) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", where, ": units: ", group.units, " must be >= 1"));
      }
      const YAML::Node prof = g["profile"];
      if (prof["csv"]) {
        auto p = csv_profile(prof["csv"].as<std::string>(), where + ".profile.csv", 1.0);
        if (!p.ok()) return p.status();
        group.profile = [p = *p](absl::Time t) { return p->At(t); };
      } else if (prof["weekly"]) {
        core::WeeklyShape shape;
        for (auto [key, arr] : {std::pair{"weekday", &shape.weekday}, std::pair{"weekend", &shape.weekend}}) {
          const YAML::Node v = prof["weekly"][key];
          if (!v.IsSequence() || v.size() != 24) {
            return absl::InvalidArgumentError(
                absl::StrCat(path, ": ", where, ".profile.weekly.", key, ": needs 24 hourly values (local time)"));
          }
          for (size_t h = 0; h < 24; ++h) {
            const double x = v[h].as<double>();
            if (!(x >= 0 && x <= 1)) {
              return absl::InvalidArgumentError(
                  absl::StrCat(path, ": ", where, ".profile.weekly.", key, "[", h, "]: ", x, " is outside [0, 1]"));
            }
            (*arr)[h] = x;
          }
        }
        absl::TimeZone zone;
        if (!absl::LoadTimeZone("Europe/Rome", &zone)) {
          return absl::FailedPreconditionError(absl::StrCat(
              path, ": ", where, ".profile.weekly: time zone Europe/Rome not found (install the tzdata package)"));
        }
        group.profile = [shape, zone](absl::Time t) { return shape.At(t, zone); };
      } else if (prof["constant"]) {
        const double x = prof["constant"].as<double>();
        if (!(x >= 0 && x <= 1)) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ": ", where, ".profile.constant: ", x, " is outside [0, 1]"));
        }
        group.profile = [x](absl::Time) { return x; };
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": ", where, ".profile: give one of csv, weekly, constant"));
      }
      sc.model.groups.push_back(std::move(group));
    }
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the file"));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": line ", e.mark.line + 1, ": ", e.msg));
  }
  return sc;
}

}  // namespace tsodso::app
