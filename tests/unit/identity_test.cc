#include "api/identity.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "support/status_testing.h"

namespace tsodso::api {
namespace {

using ::tsodso::testing::StatusIs;

struct CertSpec {
  std::string cn;   // empty: no CN in the subject
  std::string san;  // OpenSSL SAN config, e.g. "URI:urn:x,DNS:host"; empty: none
};

// Return a self-signed EC P-256 certificate in PEM, made in-process.
std::string MakeCertPem(const CertSpec& spec) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) return "";
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("tsodso tests"), -1, -1,
                             0);
  if (!spec.cn.empty()) {
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1,
                               -1, 0);
  }
  X509_set_issuer_name(cert.get(), name);
  if (!spec.san.empty()) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, spec.san.c_str());
    if (ext == nullptr) return "";
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return "";
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

TEST(IdentityFromPemTest, SubjectCn) {
  const std::string pem = MakeCertPem({"agg-1.example.eu", "URI:urn:tsodso:party:agg-1"});
  ASSERT_NE(pem.find("BEGIN CERTIFICATE"), std::string::npos);
  auto id = IdentityFromPem(pem, IdentitySource::kSubjectCn);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "agg-1.example.eu");
}

TEST(IdentityFromPemTest, NonAsciiCnIsReturnedAsUtf8) {
  const std::string cn = "Societ\xC3\xA0 Elettrica";
  auto id = IdentityFromPem(MakeCertPem({cn, ""}), IdentitySource::kSubjectCn);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, cn);
}

TEST(IdentityFromPemTest, SanUri) {
  const std::string pem = MakeCertPem({"agg-1.example.eu", "URI:urn:tsodso:party:agg-1"});
  auto id = IdentityFromPem(pem, IdentitySource::kSanUri);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "urn:tsodso:party:agg-1");
}

TEST(IdentityFromPemTest, SanUriSkipsOtherNamesAndTakesTheFirstUri) {
  const std::string pem =
      MakeCertPem({"cn", "DNS:agg.example.eu,email:ops@example.eu,URI:urn:tsodso:party:first,URI:urn:second"});
  auto id = IdentityFromPem(pem, IdentitySource::kSanUri);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "urn:tsodso:party:first");
}

TEST(IdentityFromPemTest, NoUriSanIsUnauthenticated) {
  EXPECT_TRUE(StatusIs(IdentityFromPem(MakeCertPem({"cn", "DNS:agg.example.eu"}), IdentitySource::kSanUri),
                       absl::StatusCode::kUnauthenticated, {"URI"}));
  EXPECT_TRUE(StatusIs(IdentityFromPem(MakeCertPem({"cn", ""}), IdentitySource::kSanUri),
                       absl::StatusCode::kUnauthenticated, {"URI"}));
}

TEST(IdentityFromPemTest, NoCnIsUnauthenticated) {
  const std::string pem = MakeCertPem({"", "URI:urn:tsodso:party:agg-1"});
  ASSERT_FALSE(pem.empty());
  EXPECT_TRUE(StatusIs(IdentityFromPem(pem, IdentitySource::kSubjectCn), absl::StatusCode::kUnauthenticated, {"CN"}));
}

TEST(IdentityFromPemTest, GarbageIsUnauthenticated) {
  for (const std::string& pem : {std::string(), std::string("not a certificate"),
                                 std::string("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}) {
    EXPECT_TRUE(
        StatusIs(IdentityFromPem(pem, IdentitySource::kSubjectCn), absl::StatusCode::kUnauthenticated, {"parsed"}))
        << pem;
    EXPECT_TRUE(StatusIs(IdentityFromPem(pem, IdentitySource::kSanUri), absl::StatusCode::kUnauthenticated, {"parsed"}))
        << pem;
  }
}

TEST(IdentityFromPemTest, TruncatedPemIsUnauthenticated) {
  const std::string pem = MakeCertPem({"cn", "URI:urn:x"});
  ASSERT_GT(pem.size(), 100u);
  EXPECT_TRUE(StatusIs(IdentityFromPem(pem.substr(0, pem.size() / 2), IdentitySource::kSubjectCn),
                       absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace tsodso::api
