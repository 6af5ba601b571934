// Columns for the CLI's human output, as wide as their widest cell, so that
// long project and branch names never push a row out of line. Widths count
// characters (UTF-8 code points), not bytes. Cells are printed as given:
// text from outside is escaped by the caller (Shown, display.h).
//
// Thread safety: none; one table per thread.
#ifndef TETHER_ENGINE_CLI_TABLE_H_
#define TETHER_ENGINE_CLI_TABLE_H_

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace tether::cli {

class Table {
 public:
  // `header` names the columns; the last column is not padded.
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

  void AddRow(std::vector<std::string> cells) {
    cells.resize(rows_.front().size());
    rows_.push_back(std::move(cells));
  }

  // Prints every row to stdout, two spaces between columns, with `indent`
  // before each.
  void Print(const std::string& indent = "") const {
    std::vector<size_t> widths(rows_.front().size(), 0);
    for (const std::vector<std::string>& row : rows_) {
      for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
    }
    for (const std::vector<std::string>& row : rows_) {
      std::string line = indent;
      for (size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) line += std::string(widths[i] - Width(row[i]) + 2, ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      std::printf("%s\n", line.c_str());
    }
  }

 private:
  static size_t Width(const std::string& text) {
    return static_cast<size_t>(std::count_if(text.begin(), text.end(),
                                             [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  }

  std::vector<std::vector<std::string>> rows_;
};

}  // namespace tether::cli

#endif  // TETHER_ENGINE_CLI_TABLE_H_
