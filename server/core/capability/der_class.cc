#include "core/capability/der_class.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace tsodso::core {
namespace {

double QShare(double pf) { return std::sqrt(std::max(0.0, 1 - pf * pf)); }  // sin(acos pf)
double TanPhi(double pf) { return QShare(pf) / pf; }

// The region inside |S| <= 1, approximated from inside so that no point of
// it exceeds the rating, and exact on the line P = operating_p: the
// figures take Q there.
ConvexPolygon WithinRating(const ConvexPolygon& region, int segments, double operating_p) {
  for (const PqPoint& v : region.vertices()) {
    if (v.p * v.p + v.q * v.q > 1 + 1e-12) {
      return region.ClippedBy(ConvexPolygon::InscribedCircle(1.0, segments, operating_p));
    }
  }
  return region;
}

ConvexPolygon PfLines(double p_lo, double p_hi, double pf_over, double pf_under) {
  const double to = TanPhi(pf_over);
  const double tu = TanPhi(pf_under);
  return ConvexPolygon::Hull({{p_lo, -p_lo * tu}, {p_hi, -p_hi * tu}, {p_hi, p_hi * to}, {p_lo, p_lo * to}});
}

}  // namespace

const char* DerKindName(DerKind kind) {
  switch (kind) {
    case DerKind::kInverter:
      return "inverter";
    case DerKind::kSynchronous:
      return "synchronous";
    case DerKind::kRunOfRiverHydro:
      return "run_of_river_hydro";
    case DerKind::kStorage:
      return "storage";
    case DerKind::kV2g:
      return "v2g";
    case DerKind::kEvCharging:
      return "ev_charging";
    case DerKind::kPolygon:
      return "polygon";
  }
  return "unknown";
}

bool ParseDerKind(const std::string& text, DerKind* out) {
  for (DerKind k : {DerKind::kInverter, DerKind::kSynchronous, DerKind::kRunOfRiverHydro, DerKind::kStorage,
                    DerKind::kV2g, DerKind::kEvCharging, DerKind::kPolygon}) {
    if (text == DerKindName(k)) {
      *out = k;
      return true;
    }
  }
  return false;
}

absl::Status ValidateDerClass(const DerClass& c, const std::string& source) {
  auto bad = [&](const char* field, double value, const char* why) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": class '", c.name, "': ", field, ": ", value, " ", why));
  };
  auto pf = [&](const char* field, double v) {
    return (v > 0 && v <= 1) ? absl::OkStatus() : bad(field, v, "is not a power factor in (0, 1]");
  };
  if (auto st = pf("q_pf", c.q_pf); !st.ok()) return st;
  if (auto st = pf("rated_pf", c.rated_pf); !st.ok()) return st;
  if (auto st = pf("pf_over", c.pf_over); !st.ok()) return st;
  if (auto st = pf("pf_under", c.pf_under); !st.ok()) return st;
  if (!(c.p_min_pu >= 0 && c.p_min_pu < c.rated_pf)) {
    return bad("p_min_pu", c.p_min_pu, "must be at least 0 and below rated_pf (P max in p.u.)");
  }
  if (!(c.soc_min >= 0 && c.soc_min < c.soc_max && c.soc_max <= 1)) {
    return bad("soc_min", c.soc_min, "must satisfy 0 <= soc_min < soc_max <= 1");
  }
  if (!(c.energy_hours > 0)) return bad("energy_hours", c.energy_hours, "must be positive");
  if (!(c.plugged_per_charging >= 1)) return bad("plugged_per_charging", c.plugged_per_charging, "must be >= 1");
  if (c.q_without_car && c.kind != DerKind::kV2g) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": class '", c.name, "': q_without_car: applies to v2g chargers only"));
  }
  if (c.circle_segments < 8 || c.circle_segments > 1024) {
    return bad("circle_segments", c.circle_segments, "must be between 8 and 1024");
  }
  if (c.kind == DerKind::kPolygon) {
    if (c.vertices.size() < 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": class '", c.name, "': vertices: a polygon needs at least 3 points"));
    }
    for (size_t i = 0; i < c.vertices.size(); ++i) {
      const PqPoint& v = c.vertices[i];
      if (!std::isfinite(v.p) || !std::isfinite(v.q) || v.p * v.p + v.q * v.q > 1 + 1e-9) {
        return absl::InvalidArgumentError(absl::StrCat(source, ": class '", c.name, "': vertices[", i, "]: (", v.p,
                                                       ", ", v.q, ") is outside |S| <= Sn"));
      }
    }
    if (!IsConvexRing(c.vertices)) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": class '", c.name, "': vertices: the polygon is not convex (or crosses itself)"));
    }
  } else if (!c.vertices.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": class '", c.name, "': vertices: only for kind polygon"));
  }
  return absl::OkStatus();
}

DerCapability Capability(const DerClass& c, const DerState& s) {
  const double x = std::clamp(s.profile, 0.0, 1.0);
  switch (c.kind) {
    case DerKind::kInverter: {
      const double qm = QShare(c.q_pf);
      return {WithinRating(ConvexPolygon::Rectangle(0, x, -qm, qm), c.circle_segments, x), {x, 0}};
    }
    case DerKind::kSynchronous: {
      const double p_max = c.rated_pf;
      const double op = x * p_max;
      if (op < c.p_min_pu || op <= 0) return {ConvexPolygon::Hull({{0, 0}}), {0, 0}};  // offline
      return {WithinRating(PfLines(std::max(c.p_min_pu, 1e-9), p_max, c.pf_over, c.pf_under), c.circle_segments, op),
              {op, 0}};
    }
    case DerKind::kRunOfRiverHydro: {
      const double avail = x * c.rated_pf;
      if (avail < c.p_min_pu || avail <= 0) return {ConvexPolygon::Hull({{0, 0}}), {0, 0}};
      return {WithinRating(PfLines(std::max(c.p_min_pu, 1e-9), avail, c.pf_over, c.pf_under), c.circle_segments, avail),
              {avail, 0}};
    }
    case DerKind::kStorage: {
      // Energy above/below the band over one interval bounds discharge and
      // charge power; the converter bounds |S|.
      const double soc = x;
      const double p_dis = std::clamp((soc - c.soc_min) * c.energy_hours / s.interval_hours, 0.0, 1.0);
      const double p_ch = std::clamp((c.soc_max - soc) * c.energy_hours / s.interval_hours, 0.0, 1.0);
      const ConvexPolygon disk = ConvexPolygon::InscribedCircle(1.0, c.circle_segments, 0);
      return {disk.ClippedBy(ConvexPolygon::Rectangle(-p_ch, p_dis, -1, 1)), {0, 0}};
    }
    case DerKind::kV2g: {
      const double plugged = std::min(1.0, x * c.plugged_per_charging);
      if (!c.q_without_car) return {ConvexPolygon::InscribedCircle(plugged, c.circle_segments, -x), {-x, 0}};
      // The converter bounds |S|; the plugged-in cars bound P (as the state
      // of charge does a battery's).
      if (plugged <= 0) {
        const ConvexPolygon disk = ConvexPolygon::InscribedCircle(1.0, c.circle_segments, 0.0);
        const Range q = RangeOnLine(disk, /*along_p=*/false, 0.0);
        return {ConvexPolygon::Hull({{0, q.lo}, {0, q.hi}}), {0, 0}};
      }
      const ConvexPolygon disk = ConvexPolygon::InscribedCircle(1.0, c.circle_segments, -x);
      return {disk.ClippedBy(ConvexPolygon::Rectangle(-plugged, plugged, -1, 1)), {-x, 0}};
    }
    case DerKind::kEvCharging: {
      const double plugged = std::min(1.0, x * c.plugged_per_charging);
      return {ConvexPolygon::Hull({{-plugged, 0}, {0, 0}}), {-x, 0}};
    }
    case DerKind::kPolygon: {
      const ConvexPolygon region = ConvexPolygon::Hull(c.vertices);
      const double p = std::clamp(s.profile, region.MinP(), region.MaxP());
      // The operating point sits where the region crosses that P, at the
      // reactive power nearest zero.
      const ConvexPolygon line = ConvexPolygon::Hull({{p, -2}, {p, 2}}).ClippedBy(region);
      const double q = line.empty() ? 0 : std::clamp(0.0, line.MinQ(), line.MaxQ());
      return {region, {p, q}};
    }
  }
  return {ConvexPolygon::Hull({{0, 0}}), {0, 0}};
}

}  // namespace tsodso::core
