// Operator notices: free-text announcements to all parties or those of some
// PCCs, e.g. expected congestion.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/events/event.h"
#include "core/registry/party_registry.h"

namespace tsodso::core {

enum class Severity : int { kInfo = 1, kWarning = 2, kCritical = 3 };

constexpr size_t kMaxNoticeTextChars = 4000;
constexpr absl::Duration kDefaultNoticeValidity = absl::Hours(24);

// A notice as the operator asked for it, before any check.
struct NoticeRequest {
  int severity = 0;
  std::string text;
  std::optional<absl::Time> valid_from;
  std::optional<absl::Time> valid_to;
  std::vector<std::string> pcc_ids;
};

struct Notice {
  std::string id;
  Severity severity = Severity::kInfo;
  std::string text;
  absl::Time valid_from;
  absl::Time valid_to;
  std::vector<std::string> pcc_ids;  // sorted, unique; empty: everyone
  std::string published_by;
};

// Check the request and complete its defaults (valid_from = now, valid_to =
// valid_from + 24 h). Errors name the field and the offending value.
absl::StatusOr<Notice> MakeNotice(const NoticeRequest& request, const PartyRegistry& registry, const Party& publisher,
                                  absl::Time now, std::string notice_id);

// Return one envelope per PCC of the notice, or a single one addressed to
// everyone when it names no PCC.
std::vector<Envelope> NoticeEnvelopes(const Notice& notice);

// Check a client-chosen idempotency key: 1 to 128 printable ASCII characters.
absl::Status ValidateIdempotencyKey(const std::string& key);

// Check any client-chosen key the same way; errors name `field`.
absl::Status ValidateClientKey(const std::string& field, const std::string& key);

// Count the code points of a UTF-8 string.
size_t Utf8Length(const std::string& text);

}  // namespace tsodso::core
