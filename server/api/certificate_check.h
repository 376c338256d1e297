// Whether a client certificate still holds: not expired and not revoked by
// the certificate revocation lists in force. The CRLs (and the CA bundle
// that signs them) are read again on Reload(), so a revocation takes effect
// without a restart: on the next handshake (CertificateCheckVerifier), on
// the next call of an open connection (PartyResolver), and for open streams
// at the next sweep (FeedHub::RecheckAll).
#pragma once

#include <grpcpp/security/tls_certificate_verifier.h>

#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

typedef struct X509_crl_st X509_CRL;

namespace tsodso::api {

// A refusal of a certificate: UNAUTHENTICATED with `message`, carrying a
// short `reason` (expired, not_yet_valid, revoked, unreadable,
// no_certificate, unregistered) that metrics count by.
absl::Status CertificateRefusal(const char* reason, std::string message);
// The reason a CertificateRefusal carries; "other" for any other status.
std::string RefusalReason(const absl::Status& refusal);

class CertificateCheck {
 public:
  // `crl_dir` empty: nothing is revoked. `ca_file`: the CA bundle whose
  // certificates sign the CRLs (a CRL no CA of the bundle signed is ignored).
  // `server_cert_file`: the gateway's own certificate, whose expiry Reload()
  // reports with the CA's and the CRLs' next updates as metrics.
  CertificateCheck(std::string crl_dir, std::string ca_file, std::string server_cert_file = "");
  ~CertificateCheck();

  // Read the CA bundle and every CRL of the directory again. A file that is
  // not a CRL, or a CRL that no CA of the bundle signed, is skipped with a
  // warning; the rest take effect. Returns how many CRLs are in force.
  // Sets the metrics of the server certificate's and the CA's expiry and of
  // each CRL's next update.
  absl::StatusOr<size_t> Reload();

  // Check a PEM certificate at `now`: UNAUTHENTICATED with the reason when
  // it is unreadable, not yet valid, expired or revoked. On success, return
  // when it expires.
  absl::StatusOr<absl::Time> Check(const std::string& pem, absl::Time now) const;

 private:
  const std::string crl_dir_;
  const std::string ca_file_;
  const std::string server_cert_file_;
  mutable std::shared_mutex mu_;
  std::vector<std::shared_ptr<X509_CRL>> crls_;
};

// Refuses a TLS handshake whose client certificate CertificateCheck refuses
// (gRPC's own chain verification has run before).
class CertificateCheckVerifier : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit CertificateCheckVerifier(std::shared_ptr<const CertificateCheck> check) : check_(std::move(check)) {}
  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request, std::function<void(grpc::Status)>,
              grpc::Status* sync_status) override;
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  std::shared_ptr<const CertificateCheck> check_;
};

}  // namespace tsodso::api
