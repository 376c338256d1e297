// How the command line prints what the gateway answers: human-readable
// lines and tables, or one JSON object per line for scripts.
#pragma once

#include <google/protobuf/generated_enum_reflection.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "tsodso/v1/feed.pb.h"

namespace tsodso::cli {

// Return the message as one line of JSON with the proto field names.
std::string Json(const google::protobuf::Message& message);

// Print the message as one line of JSON and flush.
void PrintJson(const google::protobuf::Message& message);

// Return the time as RFC 3339 UTC.
std::string Time(const google::protobuf::Timestamp& ts);

// Return the label of an enum value without the prefix that all the enum's
// values share: "RED" for TRAFFIC_LIGHT_STATE_RED. A value the descriptor
// does not know prints as its number.
std::string EnumLabel(const google::protobuf::EnumDescriptor& type, int value);

template <typename E>
std::string EnumLabel(E value) {
  return EnumLabel(*google::protobuf::GetEnumDescriptor<E>(), static_cast<int>(value));
}

// Parse a label as EnumLabel prints it (case matters); false when the enum
// has no such value.
bool ParseEnumLabel(const google::protobuf::EnumDescriptor& type, const std::string& label, int* out);

template <typename E>
bool ParseEnumLabel(const std::string& label, E* out) {
  int value = 0;
  if (!ParseEnumLabel(*google::protobuf::GetEnumDescriptor<E>(), label, &value)) return false;
  *out = static_cast<E>(value);
  return true;
}

// Return a traffic light's state with its reason, if any: "RED (INTERVENTION)".
std::string LightText(const v1::TrafficLight& light);

// Return one line that tells what an event says.
std::string Human(const v1::Event& event);

}  // namespace tsodso::cli
