// REQUIRE_OK(expr) and CHECK_OK(expr): Catch2 assertions that `expr`, a
// tether::Status or tether::Result<T>, is OK; on failure the message shows
// the status (code and message). For a test's own steps (setting up a
// database, injecting a fault), whose Status must not be dropped.
#ifndef TETHER_TESTS_SUPPORT_STATUS_CHECKS_H_
#define TETHER_TESTS_SUPPORT_STATUS_CHECKS_H_

#include <catch2/catch.hpp>

#include "tether/status.h"

namespace tether::testing {

inline const Status& StatusOf(const Status& status) { return status; }
template <typename T>
const Status& StatusOf(const Result<T>& result) {
  return result.status();
}

}  // namespace tether::testing

#define TETHER_STATUS_ASSERT_(macro, expr)                                               \
  do {                                                                                   \
    const ::tether::Status tether_checked_status_ = ::tether::testing::StatusOf(expr);   \
    INFO(#expr << ": " << tether_checked_status_.ToString());                            \
    macro(tether_checked_status_.ok());                                                  \
  } while (0)

#define REQUIRE_OK(expr) TETHER_STATUS_ASSERT_(REQUIRE, expr)
#define CHECK_OK(expr) TETHER_STATUS_ASSERT_(CHECK, expr)

#endif  // TETHER_TESTS_SUPPORT_STATUS_CHECKS_H_
