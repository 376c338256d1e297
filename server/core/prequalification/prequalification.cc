#include "core/prequalification/prequalification.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"

namespace tsodso::core {

bool IsAssetType(const std::string& type) {
  static const std::set<std::string> kTypes = {"pv",    "wind",    "chp",        "biomass",
                                               "hydro", "battery", "ev_charger", "flexible_load"};
  return kTypes.count(type) > 0;
}

const char* QualificationReasonName(QualificationReason reason) {
  switch (reason) {
    case QualificationReason::kNone:
      return "NONE";
    case QualificationReason::kUnknownAsset:
      return "UNKNOWN_ASSET";
    case QualificationReason::kNotAtPcc:
      return "NOT_AT_PCC";
    case QualificationReason::kTypeMismatch:
      return "TYPE_MISMATCH";
    case QualificationReason::kOutsideAgreement:
      return "OUTSIDE_CONNECTION_AGREEMENT";
    case QualificationReason::kInAnotherPortfolio:
      return "IN_ANOTHER_PORTFOLIO";
  }
  return "UNKNOWN";
}

absl::Status CheckRatings(const AssetRatings& r, const std::string& where) {
  for (auto [name, v] :
       {std::pair{"sn_mva", r.sn_mva}, std::pair{"p_min_mw", r.p_min_mw}, std::pair{"p_max_mw", r.p_max_mw},
        std::pair{"q_min_mvar", r.q_min_mvar}, std::pair{"q_max_mvar", r.q_max_mvar}}) {
    if (!std::isfinite(v)) return absl::InvalidArgumentError(absl::StrCat(where, ".", name, ": not a number"));
  }
  if (r.sn_mva <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".sn_mva: ", r.sn_mva, " must be positive"));
  }
  if (r.p_min_mw > r.p_max_mw) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".p_min_mw: ", r.p_min_mw, " is above p_max_mw ", r.p_max_mw));
  }
  if (r.q_min_mvar > r.q_max_mvar) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".q_min_mvar: ", r.q_min_mvar, " is above q_max_mvar ", r.q_max_mvar));
  }
  return absl::OkStatus();
}

absl::Status CheckClaims(const std::vector<AssetClaim>& claims, const Party& aggregator,
                         const PartyRegistry& registry) {
  if (claims.empty()) return absl::InvalidArgumentError("assets: the request names no asset");
  if (claims.size() > kMaxClaims) {
    return absl::InvalidArgumentError(
        absl::StrCat("assets: ", claims.size(), " is more than ", kMaxClaims, " in one request"));
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < claims.size(); ++i) {
    const AssetClaim& c = claims[i];
    const std::string where = absl::StrCat("assets[", i, "] (", c.id, ")");
    if (c.id.empty()) return absl::InvalidArgumentError(absl::StrCat("assets[", i, "].resource_id: must not be empty"));
    if (!ids.insert(c.id).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".resource_id: '", c.id, "' appears twice"));
    }
    if (!IsAssetType(c.type)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".type: '", c.type, "' is not a known asset type"));
    }
    if (registry.FindPcc(c.pcc_id) == nullptr || !aggregator.MaySeePcc(c.pcc_id)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".pcc_id: '", c.pcc_id, "' is not a PCC of party '", aggregator.id, "'"));
    }
    if (auto st = CheckRatings(c.ratings, where); !st.ok()) return st;
  }
  return absl::OkStatus();
}

AssetDecision Decide(const AssetClaim& claim, const RegisteredAsset* registered,
                     const std::optional<Qualification>& standing, const Party& aggregator, absl::Time now,
                     absl::Duration validity, double tolerance) {
  AssetDecision d;
  d.id = claim.id;
  const auto refuse = [&](QualificationReason reason) {
    d.qualified = false;
    d.reason = reason;
    return d;
  };
  if (registered == nullptr || !aggregator.MaySeePcc(registered->pcc_id)) {
    return refuse(QualificationReason::kUnknownAsset);
  }
  if (standing.has_value() && standing->aggregator != aggregator.id && standing->valid_until > now) {
    return refuse(QualificationReason::kInAnotherPortfolio);
  }
  if (registered->pcc_id != claim.pcc_id) return refuse(QualificationReason::kNotAtPcc);
  if (registered->type != claim.type) return refuse(QualificationReason::kTypeMismatch);
  const AssetRatings& a = registered->agreement;
  const AssetRatings& c = claim.ratings;
  const auto within = [&](double claimed, double lo, double hi) {
    const double slack = tolerance * a.sn_mva;
    return claimed >= lo - slack && claimed <= hi + slack;
  };
  if (c.sn_mva > a.sn_mva * (1 + tolerance) || !within(c.p_min_mw, a.p_min_mw, a.p_max_mw) ||
      !within(c.p_max_mw, a.p_min_mw, a.p_max_mw) || !within(c.q_min_mvar, a.q_min_mvar, a.q_max_mvar) ||
      !within(c.q_max_mvar, a.q_min_mvar, a.q_max_mvar)) {
    return refuse(QualificationReason::kOutsideAgreement);
  }
  d.qualified = true;
  d.valid_until = now + validity;
  // What may be bid is what the claim and the agreement both allow.
  d.p_min_mw = std::max(c.p_min_mw, a.p_min_mw);
  d.p_max_mw = std::min(c.p_max_mw, a.p_max_mw);
  return d;
}

}  // namespace tsodso::core
