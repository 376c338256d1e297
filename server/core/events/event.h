// Events: what the gateway publishes, who may receive each one, and what a
// subscriber asked for.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/registry/party_registry.h"

namespace tsodso::core {

enum class Topic : int {
  kNotice = 1,
  kFlexibility = 2,
  kBidLimits = 3,
  kTrafficLight = 4,
  kReceipt = 5,
  kPrequalification = 6,
  kCurtailment = 7,
  kForecast = 8
};

const char* TopicName(Topic topic);
bool IsKnownTopic(int value);

// Bit set of roles an event is meant for.
using RoleMask = uint32_t;
constexpr RoleMask RoleBit(Role r) { return RoleMask{1} << static_cast<int>(r); }
constexpr RoleMask kAllRoles = RoleBit(Role::kTso) | RoleBit(Role::kAggregator) | RoleBit(Role::kDsoOperator);

// Addressing of an event, decided when it is published and stored with it.
struct Envelope {
  Topic topic = Topic::kNotice;
  // PCC the event concerns; empty when it concerns no single PCC.
  std::string pcc_id;
  // Party the event is addressed to; empty for an event meant for every
  // party of the audience roles that may see its PCC.
  std::string recipient_party_id;
  RoleMask audience = kAllRoles;
};

// An event before it has a sequence number. The payload is opaque to the
// domain: the encoded message the API layer sends out.
struct EventDraft {
  Envelope envelope;
  std::string payload;
};

struct StoredEvent {
  int64_t seq = 0;
  absl::Time published_at;
  Envelope envelope;
  std::string payload;
  // The bytes a subscriber's stream writes for this event, when they were
  // encoded once for every stream (by the feed's tailer); empty otherwise.
  std::string wire;
};

// Return whether the party may receive an event with this envelope. The DSO
// operator receives everything; an event addressed to a party goes to that
// party alone; otherwise the party's role must be in the audience and the
// party must see the PCC (an event of no PCC is for all parties).
bool MayReceive(const Party& party, const Envelope& envelope);

// What a subscriber asked for, already checked against what it may see.
struct SubscriptionFilter {
  std::set<Topic> topics;         // empty: all topics
  std::set<std::string> pcc_ids;  // empty: all PCCs the party may see
  int64_t resume_after_seq = 0;

  bool Matches(const Envelope& envelope) const;
};

// Check a subscription request: known topics, PCCs that exist and that the
// party may see, a non-negative resume point. Errors name the field and value.
absl::StatusOr<SubscriptionFilter> MakeSubscriptionFilter(const Party& party, const PartyRegistry& registry,
                                                          const std::vector<int>& topics,
                                                          const std::vector<std::string>& pcc_ids,
                                                          int64_t resume_after_seq);

// Whether the subscriber wants this event and may have it.
inline bool ShouldDeliver(const Party& party, const SubscriptionFilter& filter, const Envelope& envelope) {
  return MayReceive(party, envelope) && filter.Matches(envelope);
}

}  // namespace tsodso::core
