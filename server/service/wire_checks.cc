#include "service/wire_checks.h"

#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/unknown_field_set.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/notices/notice.h"
#include "core/prequalification/prequalification.h"
#include "core/schedules/schedule.h"

namespace tsodso::service {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// The field number of a refusal (EncodeRefusal): the largest protobuf
// allows, which no tsodso.v1 message uses.
constexpr int kRefusalField = 536'870'911;

// google.protobuf.Timestamp: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr int64_t kTimestampMinSeconds = -62'135'596'800;
constexpr int64_t kTimestampMaxSeconds = 253'402'300'799;
// google.protobuf.Duration: about ±10,000 years.
constexpr int64_t kDurationMaxSeconds = 315'576'000'000;
constexpr int32_t kMaxNanos = 999'999'999;

// The fields whose limits differ from the defaults, by full name.
const absl::flat_hash_map<std::string, size_t>& CharLimits() {
  static const auto* limits = new absl::flat_hash_map<std::string, size_t>{
      {"tsodso.v1.PublishNoticeRequest.text", core::kMaxNoticeTextChars},
      {"tsodso.v1.IssueCurtailmentRequest.text", core::kMaxNoticeTextChars},
  };
  return *limits;
}

const absl::flat_hash_map<std::string, size_t>& EntryLimits() {
  static const auto* limits = new absl::flat_hash_map<std::string, size_t>{
      {"tsodso.v1.ValidateMeritOrderRequest.bids", 10'000},
      {"tsodso.v1.SubmitScheduleRequest.intervals", core::kMaxScheduleIntervals},
      {"tsodso.v1.PrequalificationRequest.assets", core::kMaxClaims},
  };
  return *limits;
}

// Format like core::Rfc3339, with the year always in four digits.
std::string Utc(absl::Time t) {
  const absl::CivilSecond c = absl::ToCivilSecond(t, absl::UTCTimeZone());
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02dZ", c.year(), c.month(), c.day(), c.hour(), c.minute(),
                         c.second());
}

absl::Status CheckMessage(const Message& message, const std::string& path);

// Check one value of `field` (entry `index` of a repeated field, or -1).
absl::Status CheckValue(const Message& message, const FieldDescriptor& field, int index, const std::string& where) {
  const Reflection& r = *message.GetReflection();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      // Bytes may hold anything; no request has one.
      if (field.type() == FieldDescriptor::TYPE_BYTES) return absl::OkStatus();
      std::string scratch;
      const std::string& value = index < 0 ? r.GetStringReference(message, &field, &scratch)
                                           : r.GetRepeatedStringReference(message, &field, index, &scratch);
      return CheckText(where, value, MaxChars(field));
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return CheckMessage(index < 0 ? r.GetMessage(message, &field) : r.GetRepeatedMessage(message, &field, index),
                          where);
    default:
      return absl::OkStatus();
  }
}

// Read the (seconds, nanos) pair of a Timestamp or Duration by reflection,
// so that dynamic messages are checked like generated ones.
std::pair<int64_t, int32_t> SecondsAndNanos(const Message& message) {
  const Reflection& r = *message.GetReflection();
  const google::protobuf::Descriptor& d = *message.GetDescriptor();
  return {r.GetInt64(message, d.FindFieldByNumber(1)), r.GetInt32(message, d.FindFieldByNumber(2))};
}

absl::Status CheckMessage(const Message& message, const std::string& path) {
  const std::string& type = message.GetDescriptor()->full_name();
  if (type == google::protobuf::Timestamp::descriptor()->full_name()) {
    google::protobuf::Timestamp ts;
    const auto [seconds, nanos] = SecondsAndNanos(message);
    ts.set_seconds(seconds);
    ts.set_nanos(nanos);
    return CheckTime(path, ts);
  }
  if (type == google::protobuf::Duration::descriptor()->full_name()) {
    google::protobuf::Duration d;
    const auto [seconds, nanos] = SecondsAndNanos(message);
    d.set_seconds(seconds);
    d.set_nanos(nanos);
    return CheckDuration(path, d);
  }
  const Reflection& r = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r.ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string where = path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    if (!field->is_repeated()) {
      if (absl::Status st = CheckValue(message, *field, -1, where); !st.ok()) return st;
      continue;
    }
    const int size = r.FieldSize(message, field);
    if (absl::Status st = CheckCount(where, static_cast<size_t>(size), MaxEntries(*field)); !st.ok()) return st;
    for (int i = 0; i < size; ++i) {
      if (absl::Status st = CheckValue(message, *field, i, absl::StrCat(where, "[", i, "]")); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace

size_t MaxChars(const FieldDescriptor& field) {
  auto it = CharLimits().find(field.full_name());
  return it == CharLimits().end() ? kMaxStringChars : it->second;
}

size_t MaxEntries(const FieldDescriptor& field) {
  auto it = EntryLimits().find(field.full_name());
  return it == EntryLimits().end() ? kMaxRepeated : it->second;
}

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    // The range of the first continuation byte excludes overlong forms,
    // surrogates (U+D800..U+DFFF) and code points above U+10FFFF.
    unsigned char low = 0x80, high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    if (byte(i + 1) < low || byte(i + 1) > high) return false;
    for (size_t k = 2; k < length; ++k) {
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

absl::Status CheckText(absl::string_view field, absl::string_view value, size_t max_chars) {
  if (value.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": contains a NUL byte"));
  }
  if (!IsValidUtf8(value)) return absl::InvalidArgumentError(absl::StrCat(field, ": is not valid UTF-8"));
  if (value.size() <= max_chars) return absl::OkStatus();  // bytes bound characters
  const size_t chars = core::Utf8Length(std::string(value));
  if (chars > max_chars) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", chars, " characters is more than the limit of ", max_chars));
  }
  return absl::OkStatus();
}

absl::Status CheckTime(absl::string_view field, const google::protobuf::Timestamp& ts) {
  if (ts.seconds() < kTimestampMinSeconds || ts.seconds() > kTimestampMaxSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": seconds ", ts.seconds(),
                     " is outside google.protobuf.Timestamp's range 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z"));
  }
  if (ts.nanos() < 0 || ts.nanos() > kMaxNanos) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": nanos ", ts.nanos(), " is outside 0 .. ", kMaxNanos));
  }
  const absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  if (t < kEarliestTime) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", Utc(t), " is before ", Utc(kEarliestTime)));
  }
  if (t > kLatestTime) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", Utc(t), " is after ", Utc(kLatestTime)));
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(absl::string_view field, const google::protobuf::Duration& d) {
  if (d.seconds() < -kDurationMaxSeconds || d.seconds() > kDurationMaxSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": seconds ", d.seconds(),
                                                   " is outside google.protobuf.Duration's range of ±",
                                                   kDurationMaxSeconds, " s"));
  }
  if (d.nanos() < -kMaxNanos || d.nanos() > kMaxNanos || (d.seconds() > 0 && d.nanos() < 0) ||
      (d.seconds() < 0 && d.nanos() > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": nanos ", d.nanos(), " is outside -", kMaxNanos, " .. ",
                                                   kMaxNanos, " or has another sign than seconds ", d.seconds()));
  }
  return absl::OkStatus();
}

absl::Status CheckCount(absl::string_view field, size_t count, size_t max) {
  if (count <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", count, " entries are more than the limit of ", max));
}

absl::Status CheckRequest(const google::protobuf::Message& request) {
  const UnknownFieldSet& unknown = request.GetReflection()->GetUnknownFields(request);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const UnknownField& f = unknown.field(i);
    if (f.number() == kRefusalField && f.type() == UnknownField::TYPE_LENGTH_DELIMITED) {
      return absl::InvalidArgumentError(f.length_delimited());
    }
  }
  return CheckMessage(request, "");
}

namespace {

// Find the first string of `fields` (a `type` message read without its
// schema) that is not UTF-8, descending into nested messages.
absl::Status FindInvalidUtf8(const google::protobuf::Descriptor& type, const UnknownFieldSet& fields,
                             const std::string& path) {
  absl::flat_hash_map<int, int> seen;  // entries of each repeated field so far
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& u = fields.field(i);
    const FieldDescriptor* f = type.FindFieldByNumber(u.number());
    const int index = seen[u.number()]++;
    // A value of the wrong wire type is kept as an unknown field by the
    // parser; it does not make the message unparsable.
    if (f == nullptr || u.type() != UnknownField::TYPE_LENGTH_DELIMITED) continue;
    std::string where = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    if (f->is_repeated()) absl::StrAppend(&where, "[", index, "]");
    if (f->type() == FieldDescriptor::TYPE_STRING && !IsValidUtf8(u.length_delimited())) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": is not valid UTF-8"));
    }
    if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
      UnknownFieldSet nested;
      if (!nested.ParseFromString(u.length_delimited())) continue;
      if (absl::Status st = FindInvalidUtf8(*f->message_type(), nested, where); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DiagnoseUnparsable(const google::protobuf::Descriptor& type, absl::string_view bytes) {
  UnknownFieldSet fields;
  if (fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    if (absl::Status st = FindInvalidUtf8(type, fields, ""); !st.ok()) return st;
  }
  return absl::InvalidArgumentError(absl::StrCat("the request (", bytes.size(), " bytes) is not a valid ",
                                                 type.full_name(), " message: its protobuf encoding is malformed"));
}

std::string EncodeRefusal(const absl::Status& refusal) {
  UnknownFieldSet fields;
  fields.AddLengthDelimited(kRefusalField, std::string(refusal.message()));
  std::string bytes;
  fields.SerializeToString(&bytes);
  return bytes;
}

}  // namespace tsodso::service
