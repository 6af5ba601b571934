// Steps of tests that drive a provider plugin directly: open a repository,
// collect a diff. Each fails the test case (Catch2 REQUIRE, with the
// provider's status) when the provider fails.
#ifndef TETHER_TESTS_SUPPORT_PROVIDER_CHECKS_H_
#define TETHER_TESTS_SUPPORT_PROVIDER_CHECKS_H_

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "tether/provider.h"

namespace tether::testing {

// Keeps every change it is given, in order.
class CollectingSink : public ChangeSink {
 public:
  Status OnChange(const Change& change) override {
    changes.push_back(change);
    return Status::Ok();
  }
  std::vector<Change> changes;
};

inline std::unique_ptr<Repository> OpenOrFail(Provider& provider, const std::string& url) {
  Result<std::unique_ptr<Repository>> opened = provider.Open(url);
  INFO(url << ": " << opened.status().ToString());
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

// The changes from..to, in the order the provider gave them.
inline std::vector<Change> ChangesOrFail(Repository& repo, const std::string& from, const std::string& to) {
  CollectingSink sink;
  Status status = repo.Diff(from, to, &sink);
  INFO("Diff " << from << ".." << to << ": " << status.ToString());
  REQUIRE(status.ok());
  return sink.changes;
}

}  // namespace tether::testing

#endif  // TETHER_TESTS_SUPPORT_PROVIDER_CHECKS_H_
