// The embeddings analyzer's pure parts, compiled from the plugin's sources:
// how files are cut into chunks, and the built-in lexical embedder.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "chunker.h"
#include "hashing_embedder.h"
#include "settings.h"

using tether::Symbol;
using tether::embeddings::Chunk;
using tether::embeddings::ChunkText;
using tether::embeddings::HashingEmbedder;

namespace {

// A file of `count` functions of varying length (a few lines to about 35),
// with their symbols; function `edited` gets one more statement.
struct File {
  std::string text;
  std::vector<Symbol> symbols;
};

File Functions(int count, int edited = -1) {
  File f;
  int line = 1;
  f.text = "import os\nimport sys\n\n";
  line += 3;
  for (int i = 0; i < count; ++i) {
    f.text += "# helper number " + std::to_string(i) + "\n";
    ++line;
    const int start = line;
    f.text += "def helper_" + std::to_string(i) + "(value):\n";
    ++line;
    const int body = 2 + (i * 7) % 30;  // every function fits in a chunk
    for (int k = 0; k < body; ++k) {
      f.text += "    value = value * " + std::to_string(k + i) + " + len(os.sep)\n";
      ++line;
    }
    if (i == edited) {
      f.text += "    value += 1\n";
      ++line;
    }
    f.text += "    return value\n\n";
    line += 2;
    Symbol s;
    s.name = "helper_" + std::to_string(i);
    s.kind = "function";
    s.start_line = start;
    s.end_line = line - 2;
    f.symbols.push_back(s);
  }
  return f;
}

std::set<std::string> Hashes(const std::vector<Chunk>& chunks) {
  std::set<std::string> out;
  for (const Chunk& c : chunks) out.insert(c.hash);
  return out;
}

// Every line of the text is in exactly one chunk, in order.
void CheckCovers(const std::string& text, const std::vector<Chunk>& chunks) {
  std::string joined;
  int32_t next = 1;
  for (const Chunk& c : chunks) {
    CHECK(c.start_line >= next);
    CHECK(c.end_line >= c.start_line);
    next = c.end_line + 1;
    joined += c.text;
  }
  // Only blank chunks may be left out.
  std::string stripped_text, stripped_joined;
  for (char ch : text) if (ch != ' ' && ch != '\n') stripped_text += ch;
  for (char ch : joined) if (ch != ' ' && ch != '\n') stripped_joined += ch;
  CHECK(stripped_joined == stripped_text);
}

}  // namespace

TEST_CASE("a file is cut at its symbols, each chunk about the size asked, and every line is in one chunk") {
  File f = Functions(50);
  std::vector<Chunk> chunks = ChunkText(f.text, f.symbols, 1500);
  REQUIRE(chunks.size() >= 20);
  CheckCovers(f.text, chunks);
  for (const Chunk& c : chunks) {
    CHECK(c.text.size() <= 1500);
    CHECK(c.hash.size() == 64);
  }
  // A chunk starts right after a function ends (its comment and the blank
  // line before it go with the next function), or at the top.
  std::set<int32_t> starts{1};
  for (const Symbol& s : f.symbols) starts.insert(s.end_line + 1);
  for (const Chunk& c : chunks) CHECK(starts.count(c.start_line) == 1);
}

TEST_CASE("editing one function changes at most two chunks of fifty, and moving it leaves every hash") {
  for (int edited : {0, 7, 24, 49}) {
    File before = Functions(50), after = Functions(50, edited);
    std::set<std::string> old_hashes = Hashes(ChunkText(before.text, before.symbols, 1500));
    std::vector<Chunk> now = ChunkText(after.text, after.symbols, 1500);
    int fresh = 0;
    for (const Chunk& c : now) fresh += old_hashes.count(c.hash) ? 0 : 1;
    INFO("edited function " << edited);
    CHECK(fresh >= 1);
    CHECK(fresh <= 2);
  }
  // The same text under another path (or shifted down by an added header)
  // keeps the hashes of every chunk but the first.
  File f = Functions(30);
  std::vector<Chunk> base = ChunkText(f.text, f.symbols, 1500);
  std::vector<Symbol> shifted = f.symbols;
  for (Symbol& s : shifted) s.start_line += 1, s.end_line += 1;
  std::vector<Chunk> moved = ChunkText("# header\n" + f.text, shifted, 1500);
  std::set<std::string> moved_hashes = Hashes(moved);
  int lost = 0;
  for (const Chunk& c : base) lost += moved_hashes.count(c.hash) ? 0 : 1;
  CHECK(lost <= 1);
}

TEST_CASE("text without symbols is cut into windows of whole lines; odd symbols change nothing and never loop") {
  std::string text;
  for (int i = 0; i < 400; ++i) text += "line " + std::to_string(i) + " of plain text\n";
  std::vector<Chunk> windows = ChunkText(text, {}, 1000);
  CheckCovers(text, windows);
  for (const Chunk& c : windows) {
    CHECK(c.text.size() <= 1000);
    CHECK(c.text.back() == '\n');
  }
  // Symbols out of range, backwards, overlapping, nested in odd ways, the
  // whole file, twice the same: still every line once.
  std::vector<Symbol> odd;
  auto add = [&](int a, int b) {
    Symbol s;
    s.name = "s";
    s.start_line = a;
    s.end_line = b;
    odd.push_back(s);
  };
  add(0, 5), add(390, 900), add(30, 10), add(1, 400), add(1, 400), add(50, 250), add(100, 300), add(120, 130),
      add(120, 130), add(250, 250);
  std::vector<Chunk> chunks = ChunkText(text, odd, 1000);
  CheckCovers(text, chunks);
  for (const Chunk& c : chunks) CHECK(c.text.size() <= 1000);
  CHECK(ChunkText("", odd, 1000).empty());
  CHECK(ChunkText("\n\n   \n", {}, 1000).empty());
  // One line longer than the size: a chunk of its own, not split inside
  // a character.
  std::string wide(5000, 'x');
  std::vector<Chunk> one = ChunkText("a\n" + wide + "\nb\n", {}, 1000);
  REQUIRE(one.size() == 3);
  CHECK(one[1].text == wide + "\n");
}

TEST_CASE("the hashing embedder: the same text gives the same unit vector, and shared words point the same way") {
  HashingEmbedder embedder("hashing/v1/256", 256);
  auto dot = [](const std::vector<float>& a, const std::vector<float>& b) {
    double d = 0;
    for (size_t i = 0; i < a.size(); ++i) d += static_cast<double>(a[i]) * b[i];
    return d;
  };
  const std::vector<float> a = embedder.EmbedOne("int parseJsonDocument(const char* text) { return jv_parse_sized(text); }");
  REQUIRE(a.size() == 256);
  CHECK(std::abs(dot(a, a) - 1.0) < 1e-5);
  CHECK(a == embedder.EmbedOne("int parseJsonDocument(const char* text) { return jv_parse_sized(text); }"));
  const std::vector<float> query = embedder.EmbedOne("parse a json document");
  const std::vector<float> other = embedder.EmbedOne("void draw_window(struct screen* s) { blit(s->pixels); }");
  CHECK(dot(query, a) > dot(query, other) + 0.2);
  // No words at all: a zero vector, not NaN.
  for (float f : embedder.EmbedOne("(){};;")) CHECK(f == 0.0f);
}

TEST_CASE("an earlier space of the same provider is embedded with its own model and dimensions, any other is not") {
  tether::Result<tether::embeddings::Settings> remote = tether::embeddings::ParseSettings(
      "embeddings", R"({"provider": "tei", "url": "http://127.0.0.1:9/", "model": "new", "dimensions": 384})");
  REQUIRE(remote.ok());
  using tether::embeddings::SettingsForSpace;
  using tether::embeddings::SpaceOf;
  std::optional<tether::embeddings::Settings> old = SettingsForSpace(*remote, "tei/BAAI/bge-small-en-v1.5/512");
  REQUIRE(old.has_value());
  CHECK(old->model == "BAAI/bge-small-en-v1.5");  // a model's name may hold slashes
  CHECK(old->dimensions == 512);
  CHECK(old->url == remote->url);
  CHECK(SpaceOf(*old) == "tei/BAAI/bge-small-en-v1.5/512");
  for (const char* other : {"openai/new/384", "hashing/v1/384", "tei/new", "tei//384", "tei/new/0", "tei/new/99999999",
                            "tei/new/38a", "", "tei"}) {
    INFO(other);
    CHECK_FALSE(SettingsForSpace(*remote, other).has_value());
  }

  tether::Result<tether::embeddings::Settings> hashing =
      tether::embeddings::ParseSettings("embeddings", R"({"provider": "hashing", "dimensions": 64})");
  REQUIRE(hashing.ok());
  std::optional<tether::embeddings::Settings> wide = SettingsForSpace(*hashing, "hashing/v1/256");
  REQUIRE(wide.has_value());
  CHECK(wide->dimensions == 256);
  CHECK_FALSE(SettingsForSpace(*hashing, "hashing/v2/256").has_value());
  CHECK_FALSE(SettingsForSpace(*hashing, "tei/new/256").has_value());
}
