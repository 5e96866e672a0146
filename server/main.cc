// The edgetsdb program. Today it reports what it is; the server and its sub-commands (serve,
// import, inspect, compact, check, query) arrive with the storage engine and the HTTP API.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 &&
      (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0)) {
    std::printf("edgetsdb 0.1.0\n");
    return 0;
  }
  std::printf(
      "edgetsdb 0.1.0: a time-series database for edge gateways.\n"
      "This build has the compression library; measure it on your data with\n"
      "  build/bench/compression_report PATH...\n");
  return 0;
}
