// Stand-in for provider/cli_docs.cc while that file does not exist (provider/cli.cmake picks one of
// the two): `docs` reports that it is not built.
#include <ostream>
#include <string>
#include <vector>

#include "provider/cli.h"

namespace tpd::provider {

int RunDocsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  (void)args;
  (void)out;
  err << "docs: not built\n";
  return 1;
}

}  // namespace tpd::provider
