#include "core/events/event.h"

#include "absl/strings/str_cat.h"

namespace tsodso::core {

const char* TopicName(Topic topic) {
  switch (topic) {
    case Topic::kNotice:
      return "NOTICE";
    case Topic::kFlexibility:
      return "FLEXIBILITY";
    case Topic::kBidLimits:
      return "BID_LIMITS";
    case Topic::kTrafficLight:
      return "TRAFFIC_LIGHT";
    case Topic::kReceipt:
      return "RECEIPT";
    case Topic::kPrequalification:
      return "PREQUALIFICATION";
    case Topic::kCurtailment:
      return "CURTAILMENT";
    case Topic::kForecast:
      return "FORECAST";
  }
  return "UNKNOWN";
}

bool IsKnownTopic(int value) {
  return value >= static_cast<int>(Topic::kNotice) && value <= static_cast<int>(Topic::kForecast);
}

bool MayReceive(const Party& party, const Envelope& envelope) {
  if (party.role == Role::kDsoOperator) return true;
  if (!envelope.recipient_party_id.empty()) return envelope.recipient_party_id == party.id;
  if ((envelope.audience & RoleBit(party.role)) == 0) return false;
  return envelope.pcc_id.empty() || party.MaySeePcc(envelope.pcc_id);
}

bool SubscriptionFilter::Matches(const Envelope& envelope) const {
  if (!topics.empty() && !topics.count(envelope.topic)) return false;
  if (!pcc_ids.empty() && !envelope.pcc_id.empty() && !pcc_ids.count(envelope.pcc_id)) return false;
  return true;
}

absl::StatusOr<SubscriptionFilter> MakeSubscriptionFilter(const Party& party, const PartyRegistry& registry,
                                                          const std::vector<int>& topics,
                                                          const std::vector<std::string>& pcc_ids,
                                                          int64_t resume_after_seq) {
  SubscriptionFilter filter;
  for (size_t i = 0; i < topics.size(); ++i) {
    if (!IsKnownTopic(topics[i])) {
      return absl::InvalidArgumentError(absl::StrCat("topics[", i, "]: unknown topic ", topics[i]));
    }
    filter.topics.insert(static_cast<Topic>(topics[i]));
  }
  for (size_t i = 0; i < pcc_ids.size(); ++i) {
    const std::string& id = pcc_ids[i];
    if (auto st = registry.CheckVisiblePcc(party, id, absl::StrCat("pcc_ids[", i, "]")); !st.ok()) return st;
    filter.pcc_ids.insert(id);
  }
  if (resume_after_seq < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("resume_after_seq: ", resume_after_seq, " is negative; use 0 to replay from the start"));
  }
  filter.resume_after_seq = resume_after_seq;
  return filter;
}

}  // namespace tsodso::core
