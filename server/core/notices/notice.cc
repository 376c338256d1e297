#include "core/notices/notice.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tsodso::core {

size_t Utf8Length(const std::string& text) {
  return std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

absl::Status ValidateIdempotencyKey(const std::string& key) { return ValidateClientKey("idempotency_key", key); }

absl::Status ValidateClientKey(const std::string& field, const std::string& key) {
  if (key.empty() || key.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be 1 to 128 characters, got ", key.size()));
  }
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": '", key, "' contains a character that is not printable ASCII"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Notice> MakeNotice(const NoticeRequest& request, const PartyRegistry& registry, const Party& publisher,
                                  absl::Time now, std::string notice_id) {
  Notice notice;
  notice.id = std::move(notice_id);
  notice.published_by = publisher.id;
  if (request.severity < static_cast<int>(Severity::kInfo) ||
      request.severity > static_cast<int>(Severity::kCritical)) {
    return absl::InvalidArgumentError(
        absl::StrCat("severity: ", request.severity, " is not one of INFO (1), WARNING (2), CRITICAL (3)"));
  }
  notice.severity = static_cast<Severity>(request.severity);

  const size_t length = Utf8Length(request.text);
  if (length == 0 || request.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return absl::InvalidArgumentError("text: must not be empty or blank");
  }
  if (length > kMaxNoticeTextChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("text: ", length, " characters is more than the limit of ", kMaxNoticeTextChars));
  }
  notice.text = request.text;

  notice.valid_from = request.valid_from.value_or(now);
  notice.valid_to = request.valid_to.value_or(notice.valid_from + kDefaultNoticeValidity);
  if (notice.valid_to <= notice.valid_from) {
    return absl::InvalidArgumentError(absl::StrCat(
        "valid_to: ", absl::FormatTime(absl::RFC3339_full, notice.valid_to, absl::UTCTimeZone()),
        " is not after valid_from ", absl::FormatTime(absl::RFC3339_full, notice.valid_from, absl::UTCTimeZone())));
  }

  for (size_t i = 0; i < request.pcc_ids.size(); ++i) {
    const std::string& id = request.pcc_ids[i];
    if (registry.FindPcc(id) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("pcc_ids[", i, "]: unknown PCC '", id, "'"));
    }
    notice.pcc_ids.push_back(id);
  }
  std::sort(notice.pcc_ids.begin(), notice.pcc_ids.end());
  notice.pcc_ids.erase(std::unique(notice.pcc_ids.begin(), notice.pcc_ids.end()), notice.pcc_ids.end());
  return notice;
}

std::vector<Envelope> NoticeEnvelopes(const Notice& notice) {
  std::vector<Envelope> out;
  if (notice.pcc_ids.empty()) {
    out.push_back(Envelope{Topic::kNotice, "", "", kAllRoles});
    return out;
  }
  for (const std::string& pcc : notice.pcc_ids) out.push_back(Envelope{Topic::kNotice, pcc, "", kAllRoles});
  return out;
}

}  // namespace tsodso::core
