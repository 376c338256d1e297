#include "api/certificate_check.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <filesystem>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/common/time.h"
#include "runtime/metrics.h"
#include "spdlog/spdlog.h"

namespace tsodso::api {
namespace {

namespace fs = std::filesystem;

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

X509Ptr ParsePem(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
}

absl::Time ToTime(const ASN1_TIME* t) {
  struct tm tm = {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromUnixSeconds(timegm(&tm));
}

std::string SerialHex(const X509* cert) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr), BN_free);
  if (!bn) return "?";
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex == nullptr ? "?" : hex;
  OPENSSL_free(hex);
  return out;
}

// Every certificate of a PEM bundle.
std::vector<X509Ptr> ReadCertificates(const std::string& path) {
  std::vector<X509Ptr> out;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
  if (!bio) return out;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(c, X509_free);
  ERR_clear_error();  // the end of the bundle
  return out;
}

// A CRL file, PEM or DER.
std::shared_ptr<X509_CRL> ReadCrl(const std::string& path) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
  if (!bio) return nullptr;
  X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
  if (crl == nullptr) {
    ERR_clear_error();
    BIO_reset(bio.get());
    crl = d2i_X509_CRL_bio(bio.get(), nullptr);
    ERR_clear_error();
  }
  return crl == nullptr ? nullptr : std::shared_ptr<X509_CRL>(crl, X509_CRL_free);
}

// The earliest notAfter of the certificates of a PEM bundle.
std::optional<absl::Time> EarliestExpiry(const std::vector<X509Ptr>& certs) {
  std::optional<absl::Time> earliest;
  for (const X509Ptr& c : certs) {
    const absl::Time t = ToTime(X509_get0_notAfter(c.get()));
    if (!earliest || t < *earliest) earliest = t;
  }
  return earliest;
}

void ObserveExpiry(const char* which, std::optional<absl::Time> not_after) {
  if (!not_after) return;
  runtime::Metrics::Get()
      .certificate_not_after.Add({{"certificate", which}})
      .Set(static_cast<double>(absl::ToUnixSeconds(*not_after)));
}

// One gauge per CRL file in force; those of files gone are removed.
void ObserveCrls(const std::vector<std::pair<std::string, absl::Time>>& next_updates) {
  static std::mutex mu;
  static std::vector<prometheus::Gauge*> shown;
  std::lock_guard lock(mu);
  auto& family = runtime::Metrics::Get().crl_next_update;
  for (prometheus::Gauge* g : shown) family.Remove(g);
  shown.clear();
  for (const auto& [file, next] : next_updates) {
    prometheus::Gauge& g = family.Add({{"crl", file}});
    g.Set(static_cast<double>(absl::ToUnixSeconds(next)));
    shown.push_back(&g);
  }
}

}  // namespace

CertificateCheck::CertificateCheck(std::string crl_dir, std::string ca_file, std::string server_cert_file)
    : crl_dir_(std::move(crl_dir)), ca_file_(std::move(ca_file)), server_cert_file_(std::move(server_cert_file)) {}

CertificateCheck::~CertificateCheck() = default;

absl::StatusOr<size_t> CertificateCheck::Reload() {
  const std::vector<X509Ptr> cas = ReadCertificates(ca_file_);
  ObserveExpiry("ca", EarliestExpiry(cas));
  if (!server_cert_file_.empty()) ObserveExpiry("server", EarliestExpiry(ReadCertificates(server_cert_file_)));
  if (crl_dir_.empty()) return 0;
  std::error_code ec;
  fs::directory_iterator it(crl_dir_, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("tls.crl_dir '", crl_dir_, "': ", ec.message()));
  std::vector<std::shared_ptr<X509_CRL>> crls;
  std::vector<std::pair<std::string, absl::Time>> next_updates;
  for (const fs::directory_entry& entry : it) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    std::shared_ptr<X509_CRL> crl = ReadCrl(path);
    if (crl == nullptr) {
      spdlog::warn("tls.crl_dir: '{}' is not a CRL; ignored", path);
      continue;
    }
    // Only a CRL that a CA of the bundle signed revokes anything.
    bool signed_by_ca = false;
    for (const X509Ptr& ca : cas) {
      if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca.get())) == 0 &&
          X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.get())) == 1) {
        signed_by_ca = true;
        break;
      }
    }
    ERR_clear_error();
    if (!signed_by_ca) {
      spdlog::warn("tls.crl_dir: '{}' is not signed by a CA of tls.client_ca; ignored", path);
      continue;
    }
    if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get()); next != nullptr) {
      next_updates.emplace_back(entry.path().filename().string(), ToTime(next));
    }
    crls.push_back(std::move(crl));
  }
  ObserveCrls(next_updates);
  const size_t n = crls.size();
  std::unique_lock lock(mu_);
  crls_ = std::move(crls);
  return n;
}

constexpr char kReasonPayload[] = "type.tsodso.dev/certificate-refusal-reason";

absl::Status CertificateRefusal(const char* reason, std::string message) {
  absl::Status st = absl::UnauthenticatedError(std::move(message));
  st.SetPayload(kReasonPayload, absl::Cord(reason));
  return st;
}

std::string RefusalReason(const absl::Status& refusal) {
  const auto reason = refusal.GetPayload(kReasonPayload);
  return reason ? std::string(*reason) : "other";
}

absl::StatusOr<absl::Time> CertificateCheck::Check(const std::string& pem, absl::Time now) const {
  X509Ptr cert = ParsePem(pem);
  if (!cert) return CertificateRefusal("unreadable", "client certificate could not be parsed");
  const absl::Time not_before = ToTime(X509_get0_notBefore(cert.get()));
  const absl::Time not_after = ToTime(X509_get0_notAfter(cert.get()));
  if (now < not_before) {
    return CertificateRefusal("not_yet_valid",
                              absl::StrCat("client certificate is not valid before ", core::Rfc3339(not_before)));
  }
  if (now >= not_after) {
    return CertificateRefusal("expired", absl::StrCat("client certificate expired at ", core::Rfc3339(not_after)));
  }
  std::shared_lock lock(mu_);
  for (const std::shared_ptr<X509_CRL>& crl : crls_) {
    X509_REVOKED* revoked = nullptr;
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_issuer_name(cert.get())) == 0 &&
        X509_CRL_get0_by_cert(crl.get(), &revoked, cert.get()) == 1) {
      return CertificateRefusal(
          "revoked", absl::StrCat("client certificate (serial ", SerialHex(cert.get()), ") has been revoked"));
    }
  }
  return not_after;
}

bool CertificateCheckVerifier::Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
                                      std::function<void(grpc::Status)>, grpc::Status* sync_status) {
  const grpc::string_ref pem = request->peer_cert();
  auto checked = check_->Check(std::string(pem.data(), pem.size()), absl::Now());
  if (!checked.ok()) {
    runtime::Metrics::Get().handshakes_refused.Add({{"reason", RefusalReason(checked.status())}}).Increment();
  }
  *sync_status = checked.ok()
                     ? grpc::Status::OK
                     : grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(checked.status().message()));
  return true;
}

}  // namespace tsodso::api
