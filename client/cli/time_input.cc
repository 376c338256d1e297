#include "cli/time_input.h"

#include <google/protobuf/util/time_util.h>

#include <ctime>

namespace tsodso::cli {

bool ParseTime(const std::string& text, google::protobuf::Timestamp* out) {
  return google::protobuf::util::TimeUtil::FromString(text, out);
}

absl::Status ParseTimeOption(const std::string& option, const std::string& text, google::protobuf::Timestamp* out) {
  if (ParseTime(text, out)) return absl::OkStatus();
  return absl::InvalidArgumentError(option + ": '" + text + "' is not an RFC 3339 time");
}

google::protobuf::Timestamp NextIsp() {
  google::protobuf::Timestamp ts;
  const int64_t now = std::time(nullptr);
  ts.set_seconds(now - now % 900 + 900);
  return ts;
}

}  // namespace tsodso::cli
