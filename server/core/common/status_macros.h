// Early returns on absl::Status and absl::StatusOr, so that a function
// reads as its happy path:
//
//   TSODSO_RETURN_IF_ERROR(store::AppendEvents(tx, drafts));
//   TSODSO_ASSIGN_OR_RETURN(auto lights, store::LockLights(tx, pcc));
//
// Each macro evaluates its expression once and returns its status unchanged.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TSODSO_STATUS_CONCAT_INNER(a, b) a##b
#define TSODSO_STATUS_CONCAT(a, b) TSODSO_STATUS_CONCAT_INNER(a, b)

#define TSODSO_RETURN_IF_ERROR(expr)                                  \
  do {                                                                \
    if (absl::Status tsodso_status_ = (expr); !tsodso_status_.ok()) { \
      return tsodso_status_;                                          \
    }                                                                 \
  } while (false)

#define TSODSO_ASSIGN_OR_RETURN(lhs, expr) \
  TSODSO_ASSIGN_OR_RETURN_IMPL(TSODSO_STATUS_CONCAT(tsodso_statusor_, __LINE__), lhs, expr)

#define TSODSO_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr)  \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)
