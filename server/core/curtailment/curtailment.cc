#include "core/curtailment/curtailment.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/notices/notice.h"
#include "core/validation/traffic_light.h"

namespace tsodso::core {

absl::StatusOr<Curtailment> MakeCurtailment(const CurtailmentRequest& request, const PartyRegistry& registry,
                                            const std::vector<Portfolio>& portfolios, const Party& issuer,
                                            absl::Time now, std::string id) {
  Curtailment out;
  out.id = std::move(id);
  out.issued_by = issuer.id;
  out.issued_at = now;
  if (registry.FindPcc(request.pcc_id) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("pcc_id: unknown PCC '", request.pcc_id, "'"));
  }
  out.pcc_id = request.pcc_id;
  if (auto st = CheckUpcomingIspWindow(request.from, request.to, now); !st.ok()) return st;
  out.from = request.from;
  out.to = request.to;
  if (Utf8Length(request.text) > kMaxNoticeTextChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("text: ", Utf8Length(request.text), " characters is more than ", kMaxNoticeTextChars));
  }
  out.text = request.text;
  if (request.orders.empty()) return absl::InvalidArgumentError("orders: a curtailment needs at least one");
  std::set<std::string> seen;
  for (size_t i = 0; i < request.orders.size(); ++i) {
    const CurtailmentOrder& o = request.orders[i];
    const std::string where = absl::StrCat("orders[", i, "] (", o.portfolio_id, ")");
    const Portfolio* p = FindPortfolio(portfolios, o.portfolio_id);
    if (p == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".portfolio_id: unknown portfolio '", o.portfolio_id, "'"));
    }
    if (p->pcc_id != out.pcc_id) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".portfolio_id: the portfolio is at PCC '", p->pcc_id, "', not '", out.pcc_id, "'"));
    }
    if (!seen.insert(o.portfolio_id).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".portfolio_id: ordered twice"));
    }
    if (o.max_injection_mw.has_value() == o.setpoint_mw.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": give either max_injection_mw or setpoint_mw"));
    }
    if (o.max_injection_mw.has_value() && !(*o.max_injection_mw >= 0 && std::isfinite(*o.max_injection_mw))) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".max_injection_mw: ", *o.max_injection_mw, " must be a number >= 0"));
    }
    if (o.setpoint_mw.has_value() &&
        !(std::isfinite(*o.setpoint_mw) && *o.setpoint_mw >= p->p_min_mw && *o.setpoint_mw <= p->p_max_mw)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".setpoint_mw: ", *o.setpoint_mw,
                                                     " is outside the portfolio's range ", p->p_min_mw, " .. ",
                                                     p->p_max_mw));
    }
    out.by_aggregator[p->aggregator].push_back(o);
    ++out.portfolios;
    out.total_max_injection_mw += o.max_injection_mw.value_or(0);
  }
  return out;
}

}  // namespace tsodso::core
