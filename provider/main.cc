// terraform-provider-database: entry point.
//
//   (no arguments)        serve the plugin protocol to Terraform (ServePlugin)
//   -debug | --debug      serve in debug/reattach mode and print TF_REATTACH_PROVIDERS
//   explain ARGS...       planner CLI (RunExplainCommand)
//   docs [--dir DIR]      write registry docs from the schemas (RunDocsCommand)
//   version | --version   print the version
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "provider/cli.h"
#include "provider/log.h"
#include "provider/plugin_server.h"
#include "provider/services.h"

namespace {

constexpr const char* kVersionLine = "terraform-provider-database 0.1.0";

void PrintUsage(std::ostream& out) {
  out << "usage: terraform-provider-database [-debug | explain ... | docs [--dir DIR] | version]\n"
         "Without arguments the binary speaks Terraform's plugin protocol and is meant to be\n"
         "started by Terraform itself.\n";
}

// Ends the process right after the server stopped, skipping static destructors: nothing is left to
// flush but stdio, and Terraform SIGKILLs a plugin that has not exited 2 s after Shutdown, so no
// library teardown (gRPC's global shutdown joins its internal threads) may add to that time.
[[noreturn]] int ExitNow(int code) {
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  tpd::log::InitFromEnv();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return ExitNow(tpd::provider::ServePlugin(tpd::provider::NewProviderService));

  const std::string& cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "-debug" || cmd == "--debug") {
    tpd::provider::ServeOptions options;
    options.debug = true;
    return ExitNow(tpd::provider::ServePlugin(tpd::provider::NewProviderService, options));
  }
  if (cmd == "explain") return tpd::provider::RunExplainCommand(rest, std::cout, std::cerr);
  if (cmd == "docs") return tpd::provider::RunDocsCommand(rest, std::cout, std::cerr);
  if (cmd == "version" || cmd == "--version" || cmd == "-version") {
    std::cout << kVersionLine << "\n";
    return 0;
  }
  if (cmd == "help" || cmd == "-h" || cmd == "--help") {
    PrintUsage(std::cout);
    return 0;
  }
  std::cerr << "terraform-provider-database: unknown command \"" << cmd << "\"\n";
  PrintUsage(std::cerr);
  return 2;
}
