#include "core/validation/traffic_light.h"

#include "absl/strings/str_cat.h"
#include "core/common/time.h"

namespace tsodso::core {

const char* LightStateName(LightState state) {
  switch (state) {
    case LightState::kGreen:
      return "GREEN";
    case LightState::kYellow:
      return "YELLOW";
    case LightState::kRed:
      return "RED";
  }
  return "UNKNOWN";
}

Light IspLight::Effective() const {
  if (intervention) return {LightState::kRed, LightReason::kDirectIntervention};
  if (up.state == LightState::kYellow) return up;
  if (down.state == LightState::kYellow) return down;
  return schedules;
}

Light LightFromLines(const std::vector<MolLine>& lines, const std::string& pcc_id) {
  for (const MolLine& l : lines) {
    if (l.pcc_id != pcc_id) continue;
    if (l.result.reason == BidReason::kThermalLimit) return {LightState::kYellow, LightReason::kThermalLimit};
    if (l.result.reason == BidReason::kVoltageLimit) return {LightState::kYellow, LightReason::kVoltageLimit};
  }
  return {};
}

std::vector<LightPeriod> MergePeriods(const std::string& pcc_id, const std::vector<IspLight>& isps) {
  std::vector<LightPeriod> out;
  for (const IspLight& i : isps) {
    const Light l = i.Effective();
    if (!out.empty() && out.back().end == i.isp_start && out.back().light == l) {
      out.back().end += kIsp;
      continue;
    }
    out.push_back({pcc_id, i.isp_start, i.isp_start + kIsp, l, l.state});
  }
  return out;
}

std::vector<LightPeriod> Changes(const std::string& pcc_id, const std::vector<IspLight>& before,
                                 const std::vector<IspLight>& after) {
  std::vector<LightPeriod> out;
  for (size_t i = 0; i < after.size() && i < before.size(); ++i) {
    const Light was = before[i].Effective();
    const Light now = after[i].Effective();
    if (was == now) continue;
    const absl::Time start = after[i].isp_start;
    if (!out.empty() && out.back().end == start && out.back().light == now && out.back().previous == was.state) {
      out.back().end += kIsp;
      continue;
    }
    out.push_back({pcc_id, start, start + kIsp, now, was.state});
  }
  return out;
}

absl::Status CheckIspWindow(absl::Time from, absl::Time to) {
  const auto fmt = Rfc3339;
  if (!IsAligned(from, kIsp)) {
    return absl::InvalidArgumentError(absl::StrCat("from: ", fmt(from), " is not the start of a 15-minute ISP"));
  }
  if (!IsAligned(to, kIsp)) {
    return absl::InvalidArgumentError(absl::StrCat("to: ", fmt(to), " is not the end of a 15-minute ISP"));
  }
  if (to <= from) return absl::InvalidArgumentError(absl::StrCat("to: ", fmt(to), " is not after from ", fmt(from)));
  if (to - from > kMaxMolLookahead) {
    return absl::InvalidArgumentError(absl::StrCat("to: ", fmt(to), " is more than 7 days after from ", fmt(from)));
  }
  return absl::OkStatus();
}

absl::Status CheckUpcomingIspWindow(absl::Time from, absl::Time to, absl::Time now) {
  if (auto st = CheckIspWindow(from, to); !st.ok()) return st;
  if (to <= now) {
    return absl::InvalidArgumentError(absl::StrCat("to: ", Rfc3339(to), " has passed; past ISPs keep their light"));
  }
  return absl::OkStatus();
}

}  // namespace tsodso::core
