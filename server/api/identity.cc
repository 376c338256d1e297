#include "api/identity.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
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

PartyAuthProcessor::PartyAuthProcessor(std::shared_ptr<const core::PartyRegistry> registry, IdentitySource source,
                                       RefusalSink on_refusal)
    : registry_(std::move(registry)), source_(source), on_refusal_(std::move(on_refusal)) {}

grpc::Status PartyAuthProcessor::Process(const InputMetadata& metadata, grpc::AuthContext* context, OutputMetadata*,
                                         OutputMetadata*) {
  std::string method = "(unknown method)";
  if (auto it = metadata.find(":path"); it != metadata.end()) method.assign(it->second.data(), it->second.size());
  auto refuse = [&](const std::string& who, const std::string& message) {
    if (on_refusal_) on_refusal_(who, method, "UNAUTHENTICATED");
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, message);
  };
  auto pems = context->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.empty()) return refuse("(no certificate)", "a client certificate is required");
  auto identity = IdentityFromPem(std::string(pems.front().data(), pems.front().size()), source_);
  if (!identity.ok()) return refuse("(unreadable certificate)", std::string(identity.status().message()));
  const core::Party* party = registry_->FindByIdentity(*identity);
  if (party == nullptr) {
    spdlog::warn("refused a call from certificate identity '{}': not in the party registry", *identity);
    return refuse(absl::StrCat("(unregistered) ", *identity),
                  absl::StrCat("certificate identity '", *identity, "' is not registered with this gateway"));
  }
  context->AddProperty(kPartyProperty, party->id);
  return grpc::Status::OK;
}

absl::StatusOr<const core::Party*> CallerParty(const grpc::ServerContextBase& context,
                                               const core::PartyRegistry& registry) {
  auto auth = context.auth_context();
  if (!auth) return absl::UnauthenticatedError("no authenticated peer");
  auto ids = auth->FindPropertyValues(kPartyProperty);
  if (ids.empty()) return absl::UnauthenticatedError("caller is not a registered party");
  const core::Party* party = registry.FindById(std::string(ids.front().data(), ids.front().size()));
  if (party == nullptr) return absl::UnauthenticatedError("caller is not a registered party");
  return party;
}

}  // namespace tsodso::api
