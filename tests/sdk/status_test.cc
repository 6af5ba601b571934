// tether/status.h: what a Status and a Result promise every caller.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "tether/status.h"

using tether::Result;
using tether::Status;
using tether::StatusCode;

namespace {

struct Death {
  bool aborted = false;  // ended by SIGABRT
  int exit_code = -1;    // when it exited instead
  std::string err;       // what it wrote to stderr
};

// Runs `fn` in a child process, with its stderr captured. A child that
// survives `fn` exits with code 0.
Death RunInChild(const std::function<void()>& fn) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::fflush(nullptr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDERR_FILENO);
    close(fds[1]);
    fn();
    _exit(0);
  }
  close(fds[1]);
  Death death;
  char buffer[512];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof(buffer))) > 0) death.err.append(buffer, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  death.aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
  if (WIFEXITED(status)) death.exit_code = WEXITSTATUS(status);
  return death;
}

Result<std::string> Missing() { return Status::NotFound("no file \"a.txt\" in the test"); }

// Keeps the compiler from seeing through a value the test only reads.
template <typename T>
void Use(const T& value) {
  std::fprintf(stderr, "survived with %zu\n", sizeof(value));
}

}  // namespace

TEST_CASE("an OK status has no message: one built with a message becomes Internal") {
  CHECK(Status().ok());
  CHECK(Status::Ok().message().empty());
  CHECK(Status(StatusCode::kOk, "").ok());

  Status odd(StatusCode::kOk, "wrote 3 rows");
  CHECK_FALSE(odd.ok());
  CHECK(odd.code() == StatusCode::kInternal);
  CHECK(odd.message() == "OK status with a message: wrote 3 rows");
  CHECK(odd.ToString() == "internal: OK status with a message: wrote 3 rows");
  // It fails like any error: a Result cannot take it for a success.
  Result<int> from_odd(odd);
  CHECK_FALSE(from_odd.ok());
  CHECK(from_odd.status().code() == StatusCode::kInternal);
}

TEST_CASE("every other code keeps its message, and a rate limit its retry time as data") {
  Status missing(StatusCode::kNotFound, "no branch \"x\"");
  CHECK(missing.code() == StatusCode::kNotFound);
  CHECK(missing.message() == "no branch \"x\"");
  CHECK(missing.retry_after_seconds() == 0);

  Status limited = Status::RateLimited("the quota is spent", 90);
  CHECK(limited.code() == StatusCode::kRateLimited);
  CHECK(limited.retry_after_seconds() == 90);
  Status in_context = limited.WithContext("discover");
  CHECK(in_context.message() == "discover: the quota is spent");
  CHECK(in_context.retry_after_seconds() == 90);
  CHECK(Status::Ok().WithContext("discover").ok());
}

TEST_CASE("a Result holds a value or an error, never an OK status without a value") {
  Result<std::string> good(std::string("x"));
  REQUIRE(good.ok());
  CHECK(*good == "x");
  CHECK(good->size() == 1);
  CHECK(good.value() == "x");
  CHECK(std::move(good).value() == "x");

  Result<std::string> empty{Status::Ok()};
  CHECK_FALSE(empty.ok());
  CHECK(empty.status().code() == StatusCode::kInternal);
}

TEST_CASE("using the value of an error Result aborts, naming the error, in every build type") {
  const std::string expected =
      "tether: fatal: the value of an error Result was used (not_found: no file \"a.txt\" in the test)";
  SECTION("value()") {
    Death death = RunInChild([] {
      Result<std::string> missing = Missing();
      Use(missing.value());
    });
    CHECK(death.aborted);
    CHECK_THAT(death.err, Catch::Contains(expected));
    CHECK_THAT(death.err, !Catch::Contains("survived"));
  }
  SECTION("value() of a const Result") {
    Death death = RunInChild([] {
      const Result<std::string> missing = Missing();
      Use(missing.value());
    });
    CHECK(death.aborted);
    CHECK_THAT(death.err, Catch::Contains(expected));
  }
  SECTION("value() of a moved Result") {
    Death death = RunInChild([] { Use(Missing().value()); });
    CHECK(death.aborted);
    CHECK_THAT(death.err, Catch::Contains(expected));
  }
  SECTION("operator*") {
    Death death = RunInChild([] {
      Result<std::string> missing = Missing();
      Use(*missing);
    });
    CHECK(death.aborted);
    CHECK_THAT(death.err, Catch::Contains(expected));
  }
  SECTION("operator->") {
    Death death = RunInChild([] {
      Result<std::string> missing = Missing();
      Use(missing->size());
    });
    CHECK(death.aborted);
    CHECK_THAT(death.err, Catch::Contains(expected));
  }
  SECTION("a Result that holds a value is read in the child like anywhere") {
    Death death = RunInChild([] {
      Result<std::unique_ptr<int>> held(std::make_unique<int>(7));
      if (**held != 7) _exit(3);
    });
    CHECK_FALSE(death.aborted);
    CHECK(death.exit_code == 0);
    CHECK(death.err.empty());
  }
}
