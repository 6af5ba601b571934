// Compiled (not linked) by CTest to check that status.h keeps Status and
// Result [[nodiscard]]: with DROP_STATUS or DROP_RESULT defined, a call
// whose Status or Result is dropped must be refused by the compiler (the
// project builds with -Werror). Without either, it compiles.
#include "tether/status.h"

tether::Status Save() { return tether::Status::Unavailable("the database is busy"); }
tether::Result<int> Count() { return 3; }

int main() {
#if defined(DROP_STATUS)
  Save();
#elif defined(DROP_RESULT)
  Count();
#endif
  // Handled, or deliberately ignored: both compile.
  if (!Save().ok()) return 1;
  (void)Count();
  return 0;
}
