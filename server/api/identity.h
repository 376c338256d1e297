// Who is calling: the party behind a verified client certificate.
#pragma once

#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/server_context.h>

#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/certificate_check.h"
#include "core/registry/party_registry.h"

namespace tsodso::api {

enum class IdentitySource { kSubjectCn, kSanUri };

// Return the identity of a PEM certificate: its subject CN, or its first
// URI subject alternative name.
absl::StatusOr<std::string> IdentityFromPem(const std::string& pem, IdentitySource source);

// Who is behind one client certificate: a registered party, or the reason
// there is none (UNAUTHENTICATED) and what to call the caller in the audit.
struct CallerIdentity {
  std::shared_ptr<const core::Party> party;       // null when refused
  std::string who;                                // party id, or why none: for audit and logs
  absl::Status refusal;                           // OK when party is set
  absl::Time not_after = absl::InfiniteFuture();  // when the certificate expires
};

// Maps verified client certificates to registered parties. A connection's
// certificate is fixed at its handshake, so the answer is computed once per
// certificate (keyed by its PEM, which gRPC hands every call of the
// connection) and every later call is a lookup. Safe to call from any
// thread; it never writes into gRPC's auth context, which all calls of a
// connection share.
class PartyResolver {
 public:
  // `check`, when given, also refuses expired and revoked certificates.
  PartyResolver(std::shared_ptr<const core::PartyRegistry> registry, IdentitySource source,
                std::shared_ptr<const CertificateCheck> check = nullptr);

  // Return who is behind the client certificate of `auth`.
  std::shared_ptr<const CallerIdentity> Resolve(const grpc::AuthContext& auth);
  // Return who is behind a PEM client certificate.
  std::shared_ptr<const CallerIdentity> ResolvePem(absl::string_view pem);

  // Answer from `registry` from now on; forgets every certificate seen.
  void ReplaceRegistry(std::shared_ptr<const core::PartyRegistry> registry);
  // Forget every certificate seen, so that each is checked again (after the
  // CRLs were read again).
  void ForgetCertificates();

  // Return how many certificates are remembered.
  size_t cached_certificates() const;

  // More distinct certificates than this (more than any registry has
  // parties, renewals included) empty the cache rather than grow it.
  static constexpr size_t kMaxCachedCertificates = 4096;

 private:
  std::shared_ptr<const CallerIdentity> Identify(const std::string& pem, absl::Time now) const;

  const IdentitySource source_;
  const std::shared_ptr<const CertificateCheck> check_;
  mutable std::shared_mutex mu_;
  std::shared_ptr<const core::PartyRegistry> registry_;
  absl::flat_hash_map<std::string, std::shared_ptr<const CallerIdentity>> by_pem_;
};

// Runs before any handler: refuses (UNAUTHENTICATED) a call whose verified
// client certificate maps to no registered party.
class PartyAuthProcessor : public grpc::AuthMetadataProcessor {
 public:
  // Called for every refused call with (who, method, outcome), so that the
  // refusal is audited like any other call.
  using RefusalSink =
      std::function<void(const std::string& who, const std::string& method, const std::string& outcome)>;
  PartyAuthProcessor(std::shared_ptr<PartyResolver> resolver, RefusalSink on_refusal = nullptr);
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata, OutputMetadata* response_metadata) override;

 private:
  std::shared_ptr<PartyResolver> resolver_;
  RefusalSink on_refusal_;
};

// Return the PEM of the call's verified client certificate ("" when none).
std::string PeerCertificate(const grpc::ServerContextBase& context);

// Return the party behind this call's client certificate.
absl::StatusOr<std::shared_ptr<const core::Party>> CallerParty(const grpc::ServerContextBase& context,
                                                               PartyResolver& resolver);

}  // namespace tsodso::api
