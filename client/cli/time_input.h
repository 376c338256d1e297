// Times given on the command line: RFC 3339 in UTC, ISP-aligned defaults.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "absl/status/status.h"

namespace tsodso::cli {

// Parse an RFC 3339 time; false when `text` is not one.
bool ParseTime(const std::string& text, google::protobuf::Timestamp* out);

// Parse the value of a time option; INVALID_ARGUMENT naming the option
// ("--from: 'x' is not an RFC 3339 time") when it is not one.
absl::Status ParseTimeOption(const std::string& option, const std::string& text, google::protobuf::Timestamp* out);

// Return the start of the ISP after the current one (UTC).
google::protobuf::Timestamp NextIsp();

}  // namespace tsodso::cli
