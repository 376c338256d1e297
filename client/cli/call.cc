#include "cli/call.h"

#include <openssl/rand.h>

#include <cstdio>

namespace tsodso::cli {

int ExitCode(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 0;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 3;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return 4;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
      return 5;
    case absl::StatusCode::kAlreadyExists:
      return 6;
    case absl::StatusCode::kResourceExhausted:
      return 7;
    default:
      return 1;
  }
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "tsodso: %s: %s\n", absl::StatusCodeToString(status.code()).c_str(),
               std::string(status.message()).c_str());
  return ExitCode(status);
}

std::string NewKey() {
  unsigned char b[12];
  RAND_bytes(b, sizeof b);
  std::string out = "cli-";
  static const char* hex = "0123456789abcdef";
  for (unsigned char c : b) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

}  // namespace tsodso::cli
