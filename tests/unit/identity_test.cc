#include "api/identity.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <grpc/grpc_security_constants.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

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

// An iterator over no properties (its constructor is for subclasses).
struct NoProperties : grpc::AuthPropertyIterator {
  NoProperties() : grpc::AuthPropertyIterator() {}
};

// The auth context gRPC hands a call: the connection's properties, written
// by the TLS handshake. Writing to it is what a resolver must never do.
class HandshakeAuthContext : public grpc::AuthContext {
 public:
  explicit HandshakeAuthContext(std::string pem) : pem_(std::move(pem)) {}
  bool IsPeerAuthenticated() const override { return true; }
  std::vector<grpc::string_ref> GetPeerIdentity() const override { return {}; }
  std::string GetPeerIdentityPropertyName() const override { return ""; }
  std::vector<grpc::string_ref> FindPropertyValues(const std::string& name) const override {
    if (name == GRPC_X509_PEM_CERT_PROPERTY_NAME && !pem_.empty()) return {grpc::string_ref(pem_)};
    return {};
  }
  grpc::AuthPropertyIterator begin() const override { return NoProperties(); }
  grpc::AuthPropertyIterator end() const override { return NoProperties(); }
  void AddProperty(const std::string&, const grpc::string_ref&) override { ++writes; }
  bool SetPeerIdentityPropertyName(const std::string&) override {
    ++writes;
    return false;
  }
  mutable std::atomic<int> writes{0};

 private:
  std::string pem_;
};

std::shared_ptr<const core::PartyRegistry> RegistryOf(std::vector<std::pair<std::string, std::string>> id_cn) {
  std::vector<core::Party> parties;
  for (auto& [id, cn] : id_cn) parties.push_back({id, core::Role::kAggregator, cn, {}, true});
  auto reg = core::PartyRegistry::Create({{"PS_SUD", "Milano PS Sud", {220, 23}}}, std::move(parties), "test");
  EXPECT_TRUE(reg.ok()) << reg.status();
  return std::make_shared<const core::PartyRegistry>(std::move(*reg));
}

TEST(PartyResolverTest, RegisteredCertificateIsItsPartyAndIsParsedOnce) {
  PartyResolver resolver(RegistryOf({{"agg-1", "agg1.example"}}), IdentitySource::kSubjectCn);
  HandshakeAuthContext connection(MakeCertPem({"agg1.example", ""}));
  auto first = resolver.Resolve(connection);
  ASSERT_NE(first->party, nullptr);
  EXPECT_EQ(first->party->id, "agg-1");
  EXPECT_TRUE(first->refusal.ok());
  // Every later call of the connection gets the same answer object: a lookup.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(resolver.Resolve(connection).get(), first.get());
  EXPECT_EQ(resolver.cached_certificates(), 1u);
  EXPECT_EQ(connection.writes.load(), 0);
}

TEST(PartyResolverTest, UnregisteredUnreadableAndMissingCertificatesAreRefused) {
  PartyResolver resolver(RegistryOf({{"agg-1", "agg1.example"}}), IdentitySource::kSubjectCn);
  HandshakeAuthContext stranger(MakeCertPem({"stranger.example", ""}));
  auto refused = resolver.Resolve(stranger);
  EXPECT_EQ(refused->party, nullptr);
  EXPECT_TRUE(StatusIs(refused->refusal, absl::StatusCode::kUnauthenticated, {"stranger.example", "not registered"}));
  EXPECT_EQ(refused->who, "(unregistered) stranger.example");

  HandshakeAuthContext garbage("not a certificate");
  EXPECT_TRUE(StatusIs(resolver.Resolve(garbage)->refusal, absl::StatusCode::kUnauthenticated, {"parsed"}));
  HandshakeAuthContext none("");
  auto anonymous = resolver.Resolve(none);
  EXPECT_TRUE(StatusIs(anonymous->refusal, absl::StatusCode::kUnauthenticated, {"certificate is required"}));
  EXPECT_EQ(anonymous->who, "(no certificate)");
  EXPECT_EQ(stranger.writes.load() + garbage.writes.load() + none.writes.load(), 0);
}

TEST(PartyResolverTest, ReplacedRegistryAnswersFromThenOnAndEarlierPartiesStayValid) {
  PartyResolver resolver(RegistryOf({{"agg-1", "agg1.example"}}), IdentitySource::kSubjectCn);
  HandshakeAuthContext agg1(MakeCertPem({"agg1.example", ""}));
  HandshakeAuthContext agg2(MakeCertPem({"agg2.example", ""}));
  std::shared_ptr<const core::Party> held = resolver.Resolve(agg1)->party;
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(resolver.Resolve(agg2)->party, nullptr);

  resolver.ReplaceRegistry(RegistryOf({{"agg-2", "agg2.example"}}));
  EXPECT_EQ(resolver.cached_certificates(), 0u);
  EXPECT_TRUE(StatusIs(resolver.Resolve(agg1)->refusal, absl::StatusCode::kUnauthenticated, {"not registered"}));
  ASSERT_NE(resolver.Resolve(agg2)->party, nullptr);
  EXPECT_EQ(resolver.Resolve(agg2)->party->id, "agg-2");
  EXPECT_EQ(held->id, "agg-1");  // a call in flight keeps the party it started with
}

TEST(PartyResolverTest, CacheIsBoundedWhateverTheCertificatesSeen) {
  PartyResolver resolver(RegistryOf({{"agg-1", "agg1.example"}}), IdentitySource::kSubjectCn);
  for (size_t i = 0; i < PartyResolver::kMaxCachedCertificates + 100; ++i) {
    HandshakeAuthContext other("not a certificate " + std::to_string(i));
    EXPECT_EQ(resolver.Resolve(other)->party, nullptr);
    ASSERT_LE(resolver.cached_certificates(), PartyResolver::kMaxCachedCertificates);
  }
}

// Many calls of a few connections at once, while the registry is replaced:
// every answer is one of the two registries' (ThreadSanitizer judges the rest).
TEST(PartyResolverTest, ConcurrentCallsAndARegistryReplacement) {
  auto before = RegistryOf({{"agg-1", "agg1.example"}, {"agg-2", "agg2.example"}});
  auto after = RegistryOf({{"agg-1b", "agg1.example"}, {"agg-2", "agg2.example"}});
  PartyResolver resolver(before, IdentitySource::kSubjectCn);
  std::vector<std::unique_ptr<HandshakeAuthContext>> connections;
  for (const char* cn : {"agg1.example", "agg2.example", "stranger.example"})
    connections.push_back(std::make_unique<HandshakeAuthContext>(MakeCertPem({cn, ""})));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const auto& connection = *connections[(t + i) % connections.size()];
        auto caller = resolver.Resolve(connection);
        const std::string id = caller->party ? caller->party->id : "";
        const bool ok = (&connection == connections[0].get() && (id == "agg-1" || id == "agg-1b")) ||
                        (&connection == connections[1].get() && id == "agg-2") ||
                        (&connection == connections[2].get() && id.empty() && !caller->refusal.ok());
        if (!ok) ++wrong;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 50; ++i) resolver.ReplaceRegistry(i % 2 == 0 ? after : before);
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  for (const auto& c : connections) EXPECT_EQ(c->writes.load(), 0);
}

}  // namespace
}  // namespace tsodso::api
