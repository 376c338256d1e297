// Time helpers shared by the domain: UTC text for messages and interval
// alignment.
#pragma once

#include <string>

#include "absl/time/time.h"

namespace tsodso::core {

// Imbalance settlement period: the market's, the schedules' and the
// forecasts' quarter hour.
inline constexpr absl::Duration kIsp = absl::Minutes(15);

// Return t as "2026-11-24T10:15:00Z" (UTC, whole seconds), as messages and
// logs show it.
inline std::string Rfc3339(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()); }

// Whether t starts an interval of `step` counted from the Unix epoch (UTC):
// whole seconds, a multiple of the step.
inline bool IsAligned(absl::Time t, absl::Duration step) {
  const int64_t s = absl::ToUnixSeconds(t);
  return absl::FromUnixSeconds(s) == t && s % absl::ToInt64Seconds(step) == 0;
}

}  // namespace tsodso::core
