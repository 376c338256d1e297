#include "core/registry/party_registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tsodso::core {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kTso:
      return "TSO";
    case Role::kAggregator:
      return "AGGREGATOR";
    case Role::kDsoOperator:
      return "DSO_OPERATOR";
  }
  return "UNKNOWN";
}

std::optional<Role> ParseRole(const std::string& text) {
  for (Role r : {Role::kTso, Role::kAggregator, Role::kDsoOperator}) {
    if (RoleName(r) == text) return r;
  }
  return std::nullopt;
}

bool Party::MaySeePcc(const std::string& pcc_id) const {
  return role == Role::kDsoOperator || all_pccs || pcc_ids.count(pcc_id) > 0;
}

absl::StatusOr<PartyRegistry> PartyRegistry::Create(std::vector<Pcc> pccs, std::vector<Party> parties,
                                                    const std::string& source) {
  PartyRegistry reg;
  for (size_t i = 0; i < pccs.size(); ++i) {
    const Pcc& p = pccs[i];
    if (p.id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": pccs[", i, "].id: must not be empty"));
    }
    if (!reg.pcc_by_id_.emplace(p.id, i).second) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": pccs[", i, "].id: duplicate PCC id '", p.id, "'"));
    }
    for (double kv : p.voltage_levels_kv) {
      if (!(kv > 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": pccs[", i, "].voltage_levels_kv: ", kv, " is not a positive voltage"));
      }
    }
  }
  for (size_t i = 0; i < parties.size(); ++i) {
    const Party& party = parties[i];
    const std::string where = absl::StrCat(source, ": parties[", i, "]");
    if (party.id.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ".id: must not be empty"));
    if (party.certificate_identity.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".identity: must not be empty (party '", party.id, "')"));
    }
    if (!reg.by_id_.emplace(party.id, i).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".id: duplicate party id '", party.id, "'"));
    }
    if (!reg.by_identity_.emplace(party.certificate_identity, i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".identity: '", party.certificate_identity, "' is already used by another party"));
    }
    for (const std::string& pcc : party.pcc_ids) {
      if (!reg.pcc_by_id_.count(pcc)) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".pccs: unknown PCC '", pcc, "'"));
      }
    }
  }
  reg.pccs_ = std::move(pccs);
  reg.parties_ = std::move(parties);
  return reg;
}

const Party* PartyRegistry::FindByIdentity(const std::string& certificate_identity) const {
  auto it = by_identity_.find(certificate_identity);
  return it == by_identity_.end() ? nullptr : &parties_[it->second];
}

const Party* PartyRegistry::FindById(const std::string& party_id) const {
  auto it = by_id_.find(party_id);
  return it == by_id_.end() ? nullptr : &parties_[it->second];
}

const Pcc* PartyRegistry::FindPcc(const std::string& pcc_id) const {
  auto it = pcc_by_id_.find(pcc_id);
  return it == pcc_by_id_.end() ? nullptr : &pccs_[it->second];
}

std::vector<const Pcc*> PartyRegistry::VisiblePccs(const Party& party) const {
  std::vector<const Pcc*> out;
  for (const Pcc& p : pccs_) {
    if (party.MaySeePcc(p.id)) out.push_back(&p);
  }
  std::sort(out.begin(), out.end(), [](const Pcc* a, const Pcc* b) { return a->id < b->id; });
  return out;
}

}  // namespace tsodso::core

namespace tsodso::core {

absl::Status PartyRegistry::CheckVisiblePcc(const Party& party, const std::string& pcc_id,
                                            const std::string& field) const {
  if (!party.MaySeePcc(pcc_id)) {
    return absl::PermissionDeniedError(absl::StrCat(field, ": party '", party.id, "' may not see PCC '", pcc_id, "'"));
  }
  if (FindPcc(pcc_id) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": unknown PCC '", pcc_id, "'"));
  }
  return absl::OkStatus();
}

absl::Status RequireOperator(const Party& party, const char* action) {
  return RequireRole(party, Role::kDsoOperator, action);
}

absl::Status RequireRole(const Party& party, Role role, const char* action) {
  if (party.role == role) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(action, " is reserved to the ",
                                                  role == Role::kDsoOperator ? "DSO operator" : RoleName(role),
                                                  "; party '", party.id, "' has role ", RoleName(party.role)));
}

}  // namespace tsodso::core
