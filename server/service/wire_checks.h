// The limits every tsodso.v1 request keeps before any use case sees it:
// strings are UTF-8 without NUL bytes and within a maximum length, times lie
// within google.protobuf.Timestamp's range and within the operational years
// 2000..2100, durations within google.protobuf.Duration's range, and
// repeated fields within a maximum count. A request that breaks one is
// INVALID_ARGUMENT naming the field path and why ("bids[3].resource_ids[0]:
// contains a NUL byte"), so that nothing hostile reaches the store, where it
// would fail as an internal error (PostgreSQL text cannot carry NUL, and its
// timestamps end long before protobuf's).
//
// The limits are part of the contract: the proto comments and
// docs/OPERATIONS.md state them.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tsodso::service {

// A string field without a limit of its own: identifiers, keys, names.
inline constexpr size_t kMaxStringChars = 128;
// A repeated field without a limit of its own.
inline constexpr size_t kMaxRepeated = 1000;
// Operational times: nothing the gateway handles lies outside these years.
inline const absl::Time kEarliestTime = absl::FromCivil(absl::CivilSecond(2000, 1, 1, 0, 0, 0), absl::UTCTimeZone());
inline const absl::Time kLatestTime = absl::FromCivil(absl::CivilSecond(2100, 1, 1, 0, 0, 0), absl::UTCTimeZone());

// Return the largest number of characters (Unicode code points) `field`
// may hold.
size_t MaxChars(const google::protobuf::FieldDescriptor& field);
// Return the largest number of entries the repeated `field` may hold.
size_t MaxEntries(const google::protobuf::FieldDescriptor& field);

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool IsValidUtf8(absl::string_view text);

// Check a string: no NUL byte, valid UTF-8, at most `max_chars` characters.
absl::Status CheckText(absl::string_view field, absl::string_view value, size_t max_chars);
// Check a time: within google.protobuf.Timestamp's range (seconds and
// nanos) and within [kEarliestTime, kLatestTime].
absl::Status CheckTime(absl::string_view field, const google::protobuf::Timestamp& ts);
// Check a duration: within google.protobuf.Duration's range, nanos of the
// seconds' sign.
absl::Status CheckDuration(absl::string_view field, const google::protobuf::Duration& d);
// Check the number of entries of a repeated field.
absl::Status CheckCount(absl::string_view field, size_t count, size_t max);

// Check every string, Timestamp, Duration and repeated field of `request`,
// nested messages included; return the first problem, naming its path. A
// request that stands for one protobuf could not parse (EncodeRefusal)
// answers with that refusal.
absl::Status CheckRequest(const google::protobuf::Message& request);

// Say why `bytes` do not parse as a `type` message, as INVALID_ARGUMENT:
// the path of a string field that is not UTF-8 (proto3 requires it, and
// protobuf's parser refuses the whole message for it), or that the encoding
// itself is malformed.
absl::Status DiagnoseUnparsable(const google::protobuf::Descriptor& type, absl::string_view bytes);

// The encoding of a request that carries nothing but `refusal` (as an
// unknown field of a number no request uses), which CheckRequest answers
// with. gRPC parses a request before any handler runs and ends a call whose
// request does not parse without a word (UNIMPLEMENTED in gRPC 1.51); the
// server hands its handlers this request instead (api/parse_guard.h), so
// that the refusal is answered, audited and counted like any other.
std::string EncodeRefusal(const absl::Status& refusal);

}  // namespace tsodso::service
