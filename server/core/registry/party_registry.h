// Parties, their roles and the PCCs they may see, as the DSO configures them.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tsodso::core {

enum class Role { kTso, kAggregator, kDsoOperator };

const char* RoleName(Role role);
std::optional<Role> ParseRole(const std::string& text);

// A point of common coupling described by public facts only.
struct Pcc {
  std::string id;
  std::string display_name;
  std::vector<double> voltage_levels_kv;  // highest first
};

struct Party {
  std::string id;
  Role role = Role::kTso;
  // Subject CN or SAN URI of the party's certificate, as configured.
  std::string certificate_identity;
  // PCCs the party may see; empty together with all_pccs == false means none.
  std::set<std::string> pcc_ids;
  bool all_pccs = false;

  bool MaySeePcc(const std::string& pcc_id) const;
};

// Immutable after construction; safe to share between threads.
class PartyRegistry {
 public:
  // Validate and index the parties: ids and identities unique, every PCC
  // reference known. `source` names the file for error messages.
  static absl::StatusOr<PartyRegistry> Create(std::vector<Pcc> pccs, std::vector<Party> parties,
                                              const std::string& source);

  const Party* FindByIdentity(const std::string& certificate_identity) const;
  const Party* FindById(const std::string& party_id) const;
  const Pcc* FindPcc(const std::string& pcc_id) const;

  // Check that `pcc_id`, named by the request field `field`, is a PCC the
  // party may see: PERMISSION_DENIED before INVALID_ARGUMENT, so that a
  // party learns nothing about PCCs it may not see, not even whether they
  // exist.
  absl::Status CheckVisiblePcc(const Party& party, const std::string& pcc_id, const std::string& field) const;

  // Return the PCCs the party may see, sorted by id.
  std::vector<const Pcc*> VisiblePccs(const Party& party) const;
  const std::vector<Pcc>& pccs() const { return pccs_; }
  const std::vector<Party>& parties() const { return parties_; }

 private:
  std::vector<Pcc> pccs_;
  std::vector<Party> parties_;
  std::map<std::string, size_t> by_identity_;
  std::map<std::string, size_t> by_id_;
  std::map<std::string, size_t> pcc_by_id_;
};

}  // namespace tsodso::core

namespace tsodso::core {

// Refuse (PERMISSION_DENIED) an action reserved to the DSO operator.
absl::Status RequireOperator(const Party& party, const char* action);

// Refuse (PERMISSION_DENIED) an action reserved to one role.
absl::Status RequireRole(const Party& party, Role role, const char* action);

}  // namespace tsodso::core
