// The edgetsdb program: its sub-commands are in server/cli.cc.
#include <iostream>

#include "server/cli.h"

int main(int argc, char** argv) { return edgetsdb::cli::RunCli(argc, argv, std::cout, std::cerr); }
