#include "app/flex_config.h"

#include <yaml-cpp/yaml.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "app/yaml_reader.h"
#include "core/common/status_macros.h"
#include "core/common/text_file.h"
#include "core/profiles/profile.h"

namespace tsodso::app {
namespace fs = std::filesystem;

absl::StatusOr<std::map<std::string, core::DerClass>> LoadDerClasses(const std::string& path) {
  std::map<std::string, core::DerClass> out;
  try {
    YamlSection top(YAML::LoadFile(path), "", path);
    const YAML::Node classes = top.Get("classes");
    TSODSO_RETURN_IF_ERROR(top.Finish());
    if (!classes.IsMap() || classes.size() == 0) return top.Error("classes", "must be a non-empty mapping");
    for (const auto& kv : classes) {
      const std::string name = kv.first.as<std::string>();
      // A class is found by its name: messages name it, and its keys
      // from it.
      YamlSection cs(kv.second, "", path, absl::StrCat("class '", name, "'"));
      TSODSO_RETURN_IF_ERROR(cs.CheckIsMap());
      core::DerClass c;
      c.name = name;
      std::string kind;
      TSODSO_RETURN_IF_ERROR(cs.String("kind", &kind));
      if (!core::ParseDerKind(kind, &c.kind)) {
        return cs.Error("kind", absl::StrCat("'", kind,
                                             "' is not one of inverter, synchronous, run_of_river_hydro, storage, v2g, "
                                             "ev_charging, polygon"));
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
        TSODSO_RETURN_IF_ERROR(cs.Double(key, field));
      }
      c.circle_segments = static_cast<int>(segments);
      TSODSO_RETURN_IF_ERROR(cs.Bool("q_without_car", &c.q_without_car));
      if (cs.Has("vertices")) {
        const YAML::Node vs = cs.Get("vertices");
        if (!vs.IsSequence()) return cs.Error("vertices", "must be a list of [p_pu, q_pu]");
        for (size_t i = 0; i < vs.size(); ++i) {
          core::PqPoint v;
          if (!vs[i].IsSequence() || vs[i].size() != 2 || !YAML::convert<double>::decode(vs[i][0], v.p) ||
              !YAML::convert<double>::decode(vs[i][1], v.q)) {
            return cs.Error(absl::StrCat("vertices[", i, "]"), "expected [p_pu, q_pu]");
          }
          c.vertices.push_back(v);
        }
      }
      if (cs.Has("sn_mva")) return cs.Error("sn_mva", "belongs to the inventory (scenario files), not to a class");
      TSODSO_RETURN_IF_ERROR(cs.Finish());
      TSODSO_RETURN_IF_ERROR(core::ValidateDerClass(c, path));
      out[name] = c;
    }
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the file"));
  } catch (const YAML::Exception& e) {
    return YamlSyntaxError(path, e);
  }
  return out;
}

absl::StatusOr<core::FlexScenario> LoadScenario(const std::string& path, const std::string& pcc_id,
                                                const std::string& name,
                                                const std::map<std::string, core::DerClass>& classes,
                                                ProfileCache* profiles) {
  core::FlexScenario sc;
  sc.name = name;
  sc.source = path;
  sc.inputs.push_back(path);
  sc.model.pcc_id = pcc_id;
  const fs::path base = fs::absolute(path).parent_path();
  auto resolve = [&](const std::string& p) { return fs::path(p).is_relative() ? (base / p).string() : p; };
  // Profiles shared by several groups (or scenarios) are read once.
  ProfileCache own;
  ProfileCache* cache = profiles != nullptr ? profiles : &own;
  auto csv_profile = [&](const std::string& file, const std::string& where,
                         double max_value) -> absl::StatusOr<std::shared_ptr<core::YearProfile>> {
    const std::string full = resolve(file);
    if (auto it = cache->find(full); it != cache->end()) {
      if (std::find(sc.inputs.begin(), sc.inputs.end(), full) == sc.inputs.end()) sc.inputs.push_back(full);
      return it->second;
    }
    auto text = core::ReadTextFile(full, absl::StrCat(path, ": ", where));
    if (!text.ok()) return text.status();
    auto profile = core::YearProfile::FromCsv(*text, full, 0.0, max_value);
    if (!profile.ok()) return profile.status();
    auto ptr = std::make_shared<core::YearProfile>(std::move(*profile));
    (*cache)[full] = ptr;
    sc.inputs.push_back(full);
    return ptr;
  };
  try {
    YamlSection top(YAML::LoadFile(path), "", path);
    TSODSO_RETURN_IF_ERROR(top.CheckIsMap());
    TSODSO_RETURN_IF_ERROR(
        top.OnlyKeys({"description", "interval_minutes", "load", "min_units_for_breakdown", "groups"}));
    top.Get("description");  // for the reader of the file only
    if (top.Has("interval_minutes")) {
      int minutes = 0;
      TSODSO_RETURN_IF_ERROR(top.Int("interval_minutes", &minutes, INT_MIN, INT_MAX));
      if (minutes != 15 && minutes != 60) {
        return top.Error("interval_minutes", absl::StrCat(minutes, " is neither 15 nor 60"));
      }
      sc.interval = absl::Minutes(minutes);
    }
    TSODSO_RETURN_IF_ERROR(top.Int("min_units_for_breakdown", &sc.model.min_units_for_breakdown, INT_MIN, INT_MAX));
    if (top.Has("min_units_for_breakdown") && sc.model.min_units_for_breakdown < 2) {
      return top.Error(
          "min_units_for_breakdown",
          absl::StrCat(sc.model.min_units_for_breakdown, " must be at least 2, or a breakdown reveals single units"));
    }

    if (!top.Has("load")) return top.Error("load", "is required (a mapping)");
    YamlSection load = top.Sub("load");
    TSODSO_RETURN_IF_ERROR(load.CheckIsMap());
    double peak = 0;
    TSODSO_RETURN_IF_ERROR(load.Double("peak_mw", &peak));
    if (!(peak > 0)) return load.Error("load.peak_mw", absl::StrCat(peak, " must be positive"));
    TSODSO_RETURN_IF_ERROR(load.Double("power_factor", &sc.model.load_pf));
    if (!(sc.model.load_pf > 0 && sc.model.load_pf <= 1)) {
      return load.Error("load.power_factor", absl::StrCat(sc.model.load_pf, " is not in (0, 1]"));
    }
    std::string profile_file;
    TSODSO_RETURN_IF_ERROR(load.String("profile", &profile_file));
    auto load_profile = csv_profile(profile_file, "load.profile", 1.0);
    if (!load_profile.ok()) return load_profile.status();
    std::shared_ptr<core::YearProfile> shape = *load_profile;
    bool align_weekdays = false;
    TSODSO_RETURN_IF_ERROR(load.Bool("align_weekdays", &align_weekdays));
    if (align_weekdays) {
      auto aligned = std::make_shared<core::YearProfile>(*shape);
      aligned->set_align_weekdays(true);
      shape = aligned;
    }
    sc.model.load_mw = [p = shape, peak](absl::Time t) { return peak * p->At(t); };
    std::string q_file;
    TSODSO_RETURN_IF_ERROR(load.String("q_profile", &q_file));
    double peak_q = 0;
    TSODSO_RETURN_IF_ERROR(load.Double("peak_mvar", &peak_q));
    if (!q_file.empty()) {
      // A measured or estimated reactive history, per unit of peak_mvar
      // (-1..1: a PCC may export reactive power).
      if (!(peak_q > 0)) {
        return load.Error("load.peak_mvar", absl::StrCat(peak_q, " must be positive with q_profile"));
      }
      const std::string full = resolve(q_file);
      auto text = core::ReadTextFile(full, absl::StrCat(path, ": load.q_profile"));
      if (!text.ok()) return text.status();
      auto q = core::YearProfile::FromCsv(*text, full, -1.0, 1.0);
      if (!q.ok()) return q.status();
      sc.inputs.push_back(full);
      auto qp = std::make_shared<core::YearProfile>(std::move(*q));
      qp->set_align_weekdays(align_weekdays);
      sc.model.load_mvar = [qp, peak_q](absl::Time t) { return peak_q * qp->At(t); };
    }
    TSODSO_RETURN_IF_ERROR(load.Finish());

    const YAML::Node groups = top.Get("groups");
    if (!groups.IsSequence()) return top.Error("groups", "is required (a list)");
    TSODSO_RETURN_IF_ERROR(top.Finish());
    for (size_t i = 0; i < groups.size(); ++i) {
      const std::string where = absl::StrCat("groups[", i, "]");
      YamlSection g(groups[i], where, path);
      TSODSO_RETURN_IF_ERROR(g.CheckIsMap());
      core::DerGroup group;
      group.units = 1;
      TSODSO_RETURN_IF_ERROR(g.String("name", &group.name));
      std::string cls;
      TSODSO_RETURN_IF_ERROR(g.String("class", &cls));
      auto it = classes.find(cls);
      if (it == classes.end()) return g.Error(g.Key("class"), absl::StrCat("unknown DER class '", cls, "'"));
      group.der_class = it->second;
      TSODSO_RETURN_IF_ERROR(g.Double("sn_mva", &group.sn_mva));
      if (!(group.sn_mva > 0)) {
        return g.Error(g.Key("sn_mva"), absl::StrCat(group.sn_mva, " must be positive (group '", group.name, "')"));
      }
      TSODSO_RETURN_IF_ERROR(g.Int("units", &group.units, INT_MIN, INT_MAX));
      if (group.units < 1) return g.Error(g.Key("units"), absl::StrCat(group.units, " must be >= 1"));
      YamlSection prof = g.Sub("profile");
      if (!g.Has("profile")) {
        return g.Error(g.Key("profile"), "give one of csv, weekly, constant");
      } else if (prof.Has("csv")) {
        std::string file;
        TSODSO_RETURN_IF_ERROR(prof.String("csv", &file));
        auto p = csv_profile(file, where + ".profile.csv", 1.0);
        if (!p.ok()) return p.status();
        group.profile = [p = *p](absl::Time t) { return p->At(t); };
      } else if (prof.Has("weekly")) {
        YamlSection weekly = prof.Sub("weekly");
        core::WeeklyShape shape;
        for (auto [key, arr] : {std::pair{"weekday", &shape.weekday}, std::pair{"weekend", &shape.weekend}}) {
          const YAML::Node v = weekly.Get(key);
          if (!v.IsSequence() || v.size() != 24) {
            return weekly.Error(weekly.Key(key), "needs 24 hourly values (local time)");
          }
          for (size_t h = 0; h < 24; ++h) {
            double x = 0;
            const std::string hour = absl::StrCat(weekly.Key(key), "[", h, "]");
            if (!v[h].IsScalar() || !YAML::convert<double>::decode(v[h], x)) {
              return weekly.Error(hour,
                                  absl::StrCat("must be a number, got '", v[h].IsScalar() ? v[h].Scalar() : "?", "'"));
            }
            if (!(x >= 0 && x <= 1)) return weekly.Error(hour, absl::StrCat(x, " is outside [0, 1]"));
            (*arr)[h] = x;
          }
        }
        absl::TimeZone zone;
        if (!absl::LoadTimeZone("Europe/Rome", &zone)) {
          return absl::FailedPreconditionError(absl::StrCat(
              path, ": ", where, ".profile.weekly: time zone Europe/Rome not found (install the tzdata package)"));
        }
        group.profile = [shape, zone](absl::Time t) { return shape.At(t, zone); };
      } else if (prof.Has("constant")) {
        double x = 0;
        TSODSO_RETURN_IF_ERROR(prof.Double("constant", &x));
        if (!(x >= 0 && x <= 1)) return prof.Error(prof.Key("constant"), absl::StrCat(x, " is outside [0, 1]"));
        group.profile = [x](absl::Time) { return x; };
      } else {
        return g.Error(g.Key("profile"), "give one of csv, weekly, constant");
      }
      TSODSO_RETURN_IF_ERROR(g.Finish());
      sc.model.groups.push_back(std::move(group));
    }
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the file"));
  } catch (const YAML::Exception& e) {
    return YamlSyntaxError(path, e);
  }
  return sc;
}

}  // namespace tsodso::app
