#include "core/audit/audit_chain.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace tsodso::core {

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string ChainHash(const AuditRecord& r) {
  std::string input;
  auto field = [&input](absl::string_view v) { absl::StrAppend(&input, v.size(), ":", v, ";"); };
  field(r.prev_hash);
  field(absl::StrCat(r.id));
  field(absl::StrCat(absl::ToUnixMicros(r.at)));
  field(r.party_id);
  field(r.method);
  field(r.outcome);
  field(r.request_digest);
  field(r.response_digest);
  return Sha256Hex(input);
}

absl::Status VerifyChain(const std::vector<AuditRecord>& records, int64_t first_id, const std::string& prev_hash) {
  int64_t expected_id = first_id;
  std::string prev = prev_hash;
  for (const AuditRecord& r : records) {
    if (r.id != expected_id) {
      return absl::DataLossError(
          absl::StrCat("audit record ", expected_id, " is missing (next record found is ", r.id, ")"));
    }
    if (r.prev_hash != prev) {
      return absl::DataLossError(
          absl::StrCat("audit record ", r.id, ": prev_hash does not match the hash of record ", r.id - 1));
    }
    if (ChainHash(r) != r.hash) {
      return absl::DataLossError(absl::StrCat("audit record ", r.id, " (", r.method, " by '", r.party_id,
                                              "'): content does not match its hash; the record was altered"));
    }
    prev = r.hash;
    ++expected_id;
  }
  return absl::OkStatus();
}

}  // namespace tsodso::core
