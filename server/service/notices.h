// Operator notices: published once per key, one event per PCC it names.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "core/notices/notice.h"
#include "service/context.h"
#include "store/pg.h"
#include "tsodso/v1/operator.pb.h"

namespace tsodso::service {

absl::StatusOr<v1::PublishNoticeResponse> PublishNotice(store::PgConnection& db, const Context& ctx,
                                                        const Caller& caller, const std::string& idempotency_key,
                                                        const core::NoticeRequest& request);

}  // namespace tsodso::service
