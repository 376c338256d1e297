#include "api/identity.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "runtime/metrics.h"
#include "spdlog/spdlog.h"

namespace tsodso::api {

absl::StatusOr<std::string> IdentityFromPem(const std::string& pem, IdentitySource source) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) return absl::UnauthenticatedError("client certificate could not be parsed");
  if (source == IdentitySource::kSubjectCn) {
    X509_NAME* name = X509_get_subject_name(cert.get());
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx < 0) return absl::UnauthenticatedError("client certificate has no subject CN");
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0) return absl::UnauthenticatedError("client certificate subject CN is not valid text");
    std::string cn(reinterpret_cast<char*>(utf8), len);
    OPENSSL_free(utf8);
    return cn;
  }
  std::unique_ptr<GENERAL_NAMES, void (*)(GENERAL_NAMES*)> sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)),
      GENERAL_NAMES_free);
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans.get()); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans.get(), i);
      if (gn->type == GEN_URI) {
        const ASN1_IA5STRING* uri = gn->d.uniformResourceIdentifier;
        return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)), ASN1_STRING_length(uri));
      }
    }
  }
  return absl::UnauthenticatedError("client certificate has no URI subject alternative name");
}

PartyResolver::PartyResolver(std::shared_ptr<const core::PartyRegistry> registry, IdentitySource source,
                             std::shared_ptr<const CertificateCheck> check)
    : source_(source), check_(std::move(check)), registry_(std::move(registry)) {}

std::shared_ptr<const CallerIdentity> PartyResolver::Resolve(const grpc::AuthContext& auth) {
  // The properties are written by the TLS handshake only, before any call
  // of the connection runs, so reading them here races with nothing.
  const std::vector<grpc::string_ref> pems = auth.FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.empty()) {
    static const auto* const kNoCertificate =
        new std::shared_ptr<const CallerIdentity>(std::make_shared<CallerIdentity>(CallerIdentity{
            nullptr, "(no certificate)", CertificateRefusal("no_certificate", "a client certificate is required")}));
    return *kNoCertificate;
  }
  return ResolvePem(absl::string_view(pems.front().data(), pems.front().size()));
}

std::shared_ptr<const CallerIdentity> PartyResolver::ResolvePem(absl::string_view pem) {
  const absl::Time now = absl::Now();
  {
    std::shared_lock lock(mu_);
    if (auto it = by_pem_.find(pem); it != by_pem_.end() && now < it->second->not_after) return it->second;
  }
  std::string key(pem);
  std::unique_lock lock(mu_);
  std::shared_ptr<const CallerIdentity> identity = Identify(key, now);
  if (by_pem_.size() >= kMaxCachedCertificates) by_pem_.clear();
  by_pem_.insert_or_assign(key, identity);
  return identity;
}

// Called with mu_ held (so registry_ is stable).
std::shared_ptr<const CallerIdentity> PartyResolver::Identify(const std::string& pem, absl::Time now) const {
  auto identity = IdentityFromPem(pem, source_);
  if (!identity.ok()) {
    return std::make_shared<CallerIdentity>(
        CallerIdentity{nullptr, "(unreadable certificate)",
                       CertificateRefusal("unreadable", std::string(identity.status().message()))});
  }
  absl::Time not_after = absl::InfiniteFuture();
  if (check_ != nullptr) {
    auto checked = check_->Check(pem, now);
    if (!checked.ok()) {
      spdlog::warn("refusing calls from certificate identity '{}': {}", *identity,
                   std::string(checked.status().message()));
      return std::make_shared<CallerIdentity>(
          CallerIdentity{nullptr, absl::StrCat("(refused certificate) ", *identity), checked.status()});
    }
    not_after = *checked;
  }
  const core::Party* party = registry_->FindByIdentity(*identity);
  if (party == nullptr) {
    spdlog::warn("refusing calls from certificate identity '{}': not in the party registry", *identity);
    return std::make_shared<CallerIdentity>(
        CallerIdentity{nullptr, absl::StrCat("(unregistered) ", *identity),
                       CertificateRefusal("unregistered", absl::StrCat("certificate identity '", *identity,
                                                                       "' is not registered with this gateway"))});
  }
  // The party stays valid while any call holds it, even after the registry
  // is replaced.
  return std::make_shared<CallerIdentity>(
      CallerIdentity{std::shared_ptr<const core::Party>(registry_, party), party->id, absl::OkStatus(), not_after});
}

void PartyResolver::ForgetCertificates() {
  std::unique_lock lock(mu_);
  by_pem_.clear();
}

std::string PeerCertificate(const grpc::ServerContextBase& context) {
  auto auth = context.auth_context();
  if (!auth) return "";
  const std::vector<grpc::string_ref> pems = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  return pems.empty() ? "" : std::string(pems.front().data(), pems.front().size());
}

void PartyResolver::ReplaceRegistry(std::shared_ptr<const core::PartyRegistry> registry) {
  std::unique_lock lock(mu_);
  registry_ = std::move(registry);
  by_pem_.clear();
}

size_t PartyResolver::cached_certificates() const {
  std::shared_lock lock(mu_);
  return by_pem_.size();
}

PartyAuthProcessor::PartyAuthProcessor(std::shared_ptr<PartyResolver> resolver, RefusalSink on_refusal)
    : resolver_(std::move(resolver)), on_refusal_(std::move(on_refusal)) {}

grpc::Status PartyAuthProcessor::Process(const InputMetadata& metadata, grpc::AuthContext* context, OutputMetadata*,
                                         OutputMetadata*) {
  std::shared_ptr<const CallerIdentity> caller = resolver_->Resolve(*context);
  if (caller->party != nullptr) return grpc::Status::OK;
  runtime::Metrics::Get().identities_refused.Add({{"reason", RefusalReason(caller->refusal)}}).Increment();
  if (on_refusal_) {
    std::string method = "(unknown method)";
    if (auto it = metadata.find(":path"); it != metadata.end()) method.assign(it->second.data(), it->second.size());
    on_refusal_(caller->who, method, "UNAUTHENTICATED");
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(caller->refusal.message()));
}

absl::StatusOr<std::shared_ptr<const core::Party>> CallerParty(const grpc::ServerContextBase& context,
                                                               PartyResolver& resolver) {
  auto auth = context.auth_context();
  if (!auth) return absl::UnauthenticatedError("no authenticated peer");
  std::shared_ptr<const CallerIdentity> caller = resolver.Resolve(*auth);
  if (caller->party == nullptr) return caller->refusal;
  return caller->party;
}

}  // namespace tsodso::api
