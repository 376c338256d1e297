// Who is calling: the party behind a verified client certificate.
#pragma once

#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/server_context.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/registry/party_registry.h"

namespace tsodso::api {

enum class IdentitySource { kSubjectCn, kSanUri };

// Return the identity of a PEM certificate: its subject CN, or its first
// URI subject alternative name.
absl::StatusOr<std::string> IdentityFromPem(const std::string& pem, IdentitySource source);

// Runs before any handler: maps the verified client certificate to a
// registered party and refuses the call (UNAUTHENTICATED) when there is none.
// The party id is attached to the call's auth context under kPartyProperty.
class PartyAuthProcessor : public grpc::AuthMetadataProcessor {
 public:
  // Called for every refused call with (who, method, outcome), so that the
  // refusal is audited like any other call.
  using RefusalSink =
      std::function<void(const std::string& who, const std::string& method, const std::string& outcome)>;
  PartyAuthProcessor(std::shared_ptr<const core::PartyRegistry> registry, IdentitySource source,
                     RefusalSink on_refusal = nullptr);
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata, OutputMetadata* response_metadata) override;

 private:
  std::shared_ptr<const core::PartyRegistry> registry_;
  IdentitySource source_;
  RefusalSink on_refusal_;
};

inline constexpr char kPartyProperty[] = "tsodso_party_id";

// Return the party the auth processor attached to this call.
absl::StatusOr<const core::Party*> CallerParty(const grpc::ServerContextBase& context,
                                               const core::PartyRegistry& registry);

}  // namespace tsodso::api
