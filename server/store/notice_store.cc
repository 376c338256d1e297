#include "store/notice_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tsodso::store {
namespace {

constexpr char kInsert[] =
    "INSERT INTO notices (notice_id, severity, text, valid_from, valid_to, pcc_ids, published_by) "
    "VALUES ($1::uuid, $2, $3, to_timestamp($4::bigint / 1000000.0), to_timestamp($5::bigint / 1000000.0), "
    "coalesce(string_to_array($6, chr(31)), ARRAY[]::text[]), $7)";

}  // namespace

absl::Status InsertNotice(PgConnection& conn, const core::Notice& n) {
  // PCC ids are validated against the registry, so the separator (unit
  // separator, 0x1F) cannot occur inside one.
  std::string pccs = absl::StrJoin(n.pcc_ids, "\x1f");
  return conn
      .Exec(kInsert,
            {n.id, static_cast<int>(n.severity), n.text, absl::ToUnixMicros(n.valid_from),
             absl::ToUnixMicros(n.valid_to), n.pcc_ids.empty() ? Param(std::nullopt) : Param(pccs), n.published_by})
      .status();
}

}  // namespace tsodso::store
