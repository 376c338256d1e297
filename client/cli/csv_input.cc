#include "cli/csv_input.h"

#include <cctype>
#include <sstream>

#include "cli/format.h"
#include "cli/time_input.h"
#include "core/common/csv.h"
#include "core/common/text_file.h"

namespace tsodso::cli {
namespace {

using core::Field;
using core::TextField;

absl::StatusOr<core::Csv> ReadCsvFile(const std::string& path) {
  auto text = core::ReadTextFile(path);
  // A file given on the command line that cannot be read is a bad argument.
  if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
  return core::ParseCsv(*text);
}

std::string RowPrefix(const std::string& path, size_t row) { return path + ": row " + std::to_string(row + 2) + ": "; }

}  // namespace

absl::Status ReadMolCsv(const std::string& path, const google::protobuf::Timestamp& isp,
                        v1::ValidateMeritOrderRequest* out) {
  auto read = ReadCsvFile(path);
  if (!read.ok()) return read.status();
  const core::Csv& csv = *read;
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    v1::Bid* b = out->add_bids();
    std::string resources;
    double quantity = 0, price = 0, minimum = 0, divisible = 1;
    for (auto [name, target] : {std::pair{"bid_id", b->mutable_bid_id()}, std::pair{"bsp", b->mutable_bsp_party_id()},
                                std::pair{"resources", &resources}, std::pair{"pcc", b->mutable_pcc_id()}}) {
      if (auto st = TextField(csv, i, name, true, target, path); !st.ok()) return st;
    }
    if (auto st = Field(csv, i, "quantity_mw", true, 0, &quantity, path); !st.ok()) return st;
    if (auto st = Field(csv, i, "price_eur_per_mwh", true, 0, &price, path); !st.ok()) return st;
    if (auto st = Field(csv, i, "min_quantity_mw", false, 0, &minimum, path); !st.ok()) return st;
    if (auto st = Field(csv, i, "divisible", false, 1, &divisible, path); !st.ok()) return st;
    std::stringstream rs(resources);
    for (std::string r; std::getline(rs, r, ';');) {
      if (!r.empty()) b->add_resource_ids(r);
    }
    b->set_quantity_mw(quantity);
    b->set_price_eur_per_mwh(price);
    b->set_min_quantity_mw(minimum);
    b->set_divisible(divisible != 0);
    *b->mutable_isp_start() = isp;
  }
  return absl::OkStatus();
}

absl::Status ReadAssetsCsv(const std::string& path, v1::PrequalificationRequest* out) {
  auto read = ReadCsvFile(path);
  if (!read.ok()) return read.status();
  const core::Csv& csv = *read;
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    v1::AssetClaim* a = out->add_assets();
    std::string type;
    for (auto [name, target] : {std::pair{"resource_id", a->mutable_resource_id()}, std::pair{"type", &type},
                                std::pair{"pcc", a->mutable_pcc_id()}}) {
      if (auto st = TextField(csv, i, name, true, target, path); !st.ok()) return st;
    }
    std::string upper;
    for (char c : type) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    v1::AssetType parsed;
    if (!ParseEnumLabel(upper, &parsed)) {
      return absl::InvalidArgumentError(RowPrefix(path, i) + "type: '" + type + "' is not a known asset type");
    }
    a->set_type(parsed);
    double v[5] = {0, 0, 0, 0, 0};
    const char* names[5] = {"sn_mva", "p_min_mw", "p_max_mw", "q_min_mvar", "q_max_mvar"};
    for (int k = 0; k < 5; ++k) {
      if (auto st = Field(csv, i, names[k], true, 0, &v[k], path); !st.ok()) return st;
    }
    a->set_sn_mva(v[0]);
    a->set_p_min_mw(v[1]);
    a->set_p_max_mw(v[2]);
    a->set_q_min_mvar(v[3]);
    a->set_q_max_mvar(v[4]);
  }
  return absl::OkStatus();
}

absl::Status ReadScheduleCsv(const std::string& path, v1::SubmitScheduleRequest* out) {
  auto read = ReadCsvFile(path);
  if (!read.ok()) return read.status();
  const core::Csv& csv = *read;
  const bool has_q = csv.Column("q_mvar") >= 0;
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    v1::ScheduleInterval* v = out->add_intervals();
    std::string start, q;
    double p = 0;
    if (auto st = TextField(csv, i, "start", true, &start, path); !st.ok()) return st;
    if (!ParseTime(start, v->mutable_start())) {
      return absl::InvalidArgumentError(RowPrefix(path, i) + "start: '" + start + "' is not an RFC 3339 time");
    }
    if (auto st = Field(csv, i, "p_mw", true, 0, &p, path); !st.ok()) return st;
    v->set_p_mw(p);
    if (has_q && TextField(csv, i, "q_mvar", false, &q, path).ok() && !q.empty()) {
      double qv = 0;
      if (auto st = Field(csv, i, "q_mvar", true, 0, &qv, path); !st.ok()) return st;
      v->set_q_mvar(qv);
    }
  }
  return absl::OkStatus();
}

}  // namespace tsodso::cli
