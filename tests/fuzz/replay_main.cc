// The regression replay of a fuzz target in the normal build (g++, no
// libFuzzer): feeds every file of the folders (or files) named on the command
// line to LLVMFuzzerTestOneInput, in name order. Files whose name starts with
// '.' are skipped. A crash, sanitizer report or FUZZ_CHECK failure ends the
// process, failing the CTest test; the input being run is printed first.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_check.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    if (fs::is_directory(arg)) {
      for (const auto& entry : fs::directory_iterator(arg)) {
        if (entry.is_regular_file() && entry.path().filename().string().rfind('.', 0) != 0) {
          inputs.push_back(entry.path());
        }
      }
    } else if (fs::is_regular_file(arg)) {
      inputs.push_back(arg);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::cerr << "cannot read " << path << "\n";
      return 1;
    }
    std::cerr << "replaying " << path.string() << " (" << data.size() << " bytes)\n";
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  std::cout << "replayed " << inputs.size() << " inputs\n";
  if (inputs.empty()) {
    std::cerr << "no inputs: the corpus folder is missing or empty\n";
    return 1;
  }
  return 0;
}
