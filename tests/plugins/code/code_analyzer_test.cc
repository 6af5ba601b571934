// The code analyzer (plugins/code) loaded by PluginHost as the engine loads
// it, fed source texts whose symbols are known, through a sink that checks
// the contract of analyzer.h as the engine's does.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/plugin_host/plugin_host.h"
#include "tether/analyzer.h"

namespace tether {
namespace {

// Collects what Analyze hands over, refusing what the engine's sink refuses.
class CollectingSink : public AnalysisSink {
 public:
  Status SetData(std::string_view json) override {
    if (data_set) return Status::InvalidArgument("SetData called twice");
    if (json.size() > (1u << 20)) return Status::InvalidArgument("data over 1 MiB");
    document.Parse(json.data(), json.size());
    if (document.HasParseError() || !document.IsObject()) return Status::InvalidArgument("not a JSON object");
    data = std::string(json);
    data_set = true;
    return Status::Ok();
  }
  Status AddSymbol(const Symbol& symbol) override {
    if (symbol.name.empty()) return Status::InvalidArgument("empty name");
    if (symbol.start_line < 1 || symbol.end_line < symbol.start_line) {
      return Status::InvalidArgument("lines out of order for " + symbol.name);
    }
    if (symbols.size() >= 100000) return Status::InvalidArgument("more than 100,000 symbols");
    symbols.push_back(symbol);
    return Status::Ok();
  }

  const Symbol* Find(const std::string& name, const std::string& kind, int start_line = 0) const {
    for (const Symbol& symbol : symbols) {
      if (symbol.name == name && symbol.kind == kind && (start_line == 0 || symbol.start_line == start_line)) {
        return &symbol;
      }
    }
    return nullptr;
  }
  int64_t Lines(const char* which) const { return document["lines"][which].GetInt64(); }
  std::vector<std::string> Imports() const {
    std::vector<std::string> imports;
    for (const auto& value : document["imports"].GetArray()) imports.emplace_back(value.GetString());
    return imports;
  }

  bool data_set = false;
  std::string data;
  rapidjson::Document document;
  std::vector<Symbol> symbols;
};

plugin_host::PluginHost& Host() {
  static plugin_host::PluginHost* host = [] {
    auto* made = new plugin_host::PluginHost(TETHER_PLUGIN_DIR, "");
    config::PluginConfig code;
    code.name = "code";
    code.kind = "analyzer";
    code.settings_json = "{}";
    made->Load({code});
    return made;
  }();
  return *host;
}

Analyzer* Code() {
  Result<Analyzer*> analyzer = Host().FindAnalyzer("code");
  INFO(analyzer.status().ToString());
  REQUIRE(analyzer.ok());
  return analyzer.value();
}

Status Run(std::string_view language, std::string_view content, CollectingSink* sink, int64_t limit_ms = 10000) {
  AnalysisInput input;
  input.blob_id = "0123456789abcdef";
  input.content = content;
  input.language = language;
  input.path = "test-input";
  input.time_limit_ms = limit_ms;
  return Code()->Analyze(input, sink);
}

struct Expected {
  std::string name;
  std::string kind;
  int start;
  int end;
  std::string parent;
  std::string doc;
};

// Each expected symbol is there with its lines, parent and doc.
void Check(const CollectingSink& sink, const std::vector<Expected>& expected) {
  for (const Expected& want : expected) {
    INFO(want.kind + " " + want.name + " in " + sink.data);
    const Symbol* got = sink.Find(want.name, want.kind, want.start);
    REQUIRE(got != nullptr);
    CHECK(got->end_line == want.end);
    CHECK(got->parent == want.parent);
    CHECK(got->doc == want.doc);
  }
}

void CheckLines(const CollectingSink& sink, int64_t code, int64_t comment, int64_t blank) {
  INFO(sink.data);
  CHECK(sink.Lines("code") == code);
  CHECK(sink.Lines("comment") == comment);
  CHECK(sink.Lines("blank") == blank);
}

TEST_CASE("code analyzer: key is the plugin's name and version, no settings hash") {
  const AnalyzerKey key = Code()->Key();
  CHECK(key.id == "code");
  CHECK(!key.version.empty());
  CHECK(key.settings_hash.empty());
}

TEST_CASE("code analyzer: C functions, prototypes, structs, enums, macros, includes") {
  const std::string source = R"(#include <stdio.h>
#include "jv.h"

/* The largest size. */
#define MAX_SIZE 64

/**
 * A parsed value.
 */
struct value {
  int kind;
};

typedef struct value value_t;
enum color { RED, GREEN };
static int counter = 0;

// Parses `text`.
// Returns NULL on error.
value_t *parse(const char *text);

value_t *parse(const char *text) {
  return NULL;  /* not yet */
}

int main(void) { return 0; }
)";
  CollectingSink sink;
  REQUIRE(Run("c", source, &sink).ok());
  Check(sink, {{"MAX_SIZE", "macro", 5, 5, "", "The largest size."},
               {"value", "struct", 10, 12, "", "A parsed value."},
               {"kind", "field", 11, 11, "value", ""},
               {"value_t", "type", 14, 14, "", ""},
               {"color", "enum", 15, 15, "", ""},
               {"RED", "constant", 15, 15, "color", ""},
               {"counter", "variable", 16, 16, "", ""},
               {"parse", "function", 20, 20, "", "Parses `text`.\nReturns NULL on error."},
               {"parse", "function", 22, 24, "", ""},
               {"main", "function", 26, 26, "", ""}});
  CHECK(sink.Find("parse", "function", 22)->signature == "value_t *parse(const char *text)");
  CHECK(sink.Imports() == std::vector<std::string>{"<stdio.h>", "jv.h"});
  CHECK(std::string(sink.document["language"].GetString()) == "c");
  CheckLines(sink, 14, 6, 6);
}

TEST_CASE("code analyzer: C++ classes, methods in and out of the class, namespaces, templates") {
  const std::string source = R"(#include <vector>
#include "engine/x.h"

namespace tether {

/// A queue of jobs.
template <typename T>
class Queue : public Base {
 public:
  // Makes an empty queue.
  Queue();
  ~Queue();
  /** Adds one job. */
  bool Push(const T& job) { return true; }
  int size_ = 0;
};

struct Point { int x; int y; };
enum class Color { kRed, kGreen };
using Id = int;
typedef unsigned long Size;
#define MAX(a, b) ((a) > (b) ? (a) : (b))
static const int kLimit = 10;

// Pops.
bool Queue::Pop(int* out) const {
  return false;
}

int Free(char *p);
char *Dup(const char *s) { return 0; }
}  // namespace tether
)";
  CollectingSink sink;
  REQUIRE(Run("cpp", source, &sink).ok());
  Check(sink, {{"tether", "namespace", 4, 32, "", ""},
               {"Queue", "class", 7, 16, "tether", "A queue of jobs."},
               {"Queue", "method", 11, 11, "Queue", "Makes an empty queue."},
               {"~Queue", "method", 12, 12, "Queue", ""},
               {"Push", "method", 14, 14, "Queue", "Adds one job."},
               {"size_", "field", 15, 15, "Queue", ""},
               {"Point", "struct", 18, 18, "tether", ""},
               {"x", "field", 18, 18, "Point", ""},
               {"Color", "enum", 19, 19, "tether", ""},
               {"kGreen", "constant", 19, 19, "Color", ""},
               {"Id", "type", 20, 20, "tether", ""},
               {"Size", "type", 21, 21, "tether", ""},
               {"MAX", "macro", 22, 22, "tether", ""},
               {"kLimit", "variable", 23, 23, "tether", ""},
               {"Pop", "method", 26, 28, "Queue", "Pops."},
               {"Free", "function", 30, 30, "tether", ""},
               {"Dup", "function", 31, 31, "tether", ""}});
  CHECK(sink.Find("Queue", "class")->signature == "template <typename T> class Queue : public Base");
  CHECK(sink.Find("Pop", "method")->signature == "bool Queue::Pop(int* out) const");
  CHECK(sink.Find("Push", "method")->signature == "bool Push(const T& job)");
  CHECK(sink.Imports() == std::vector<std::string>{"<vector>", "engine/x.h"});
  CheckLines(sink, 23, 4, 5);
}

TEST_CASE("code analyzer: Python functions, classes, methods, docstrings, constants, imports") {
  const std::string source = R"PY(#!/usr/bin/env python3
"""Module doc."""
import os
import os.path as osp
from ..pkg import thing

MAX_SIZE = 10

# Reads things.
@decorator
def read(path: str) -> bytes:
    """Reads a file.

    All of it.
    """
    def inner():
        pass
    return b""


class Store(Base):
    """A store."""

    # Gets one.
    def get(self, key):
        return None
)PY";
  CollectingSink sink;
  REQUIRE(Run("python", source, &sink).ok());
  Check(sink, {{"MAX_SIZE", "constant", 7, 7, "", ""},
               {"read", "function", 10, 18, "", "Reads a file.\n\nAll of it."},
               {"inner", "function", 16, 17, "read", ""},
               {"Store", "class", 21, 26, "", "A store."},
               {"get", "method", 25, 26, "Store", "Gets one."}});
  CHECK(sink.Find("read", "function")->signature == "def read(path: str) -> bytes");
  CHECK(sink.Imports() == std::vector<std::string>{"os", "os.path", "..pkg"});
  CheckLines(sink, 17, 3, 6);
}

TEST_CASE("code analyzer: JavaScript functions, arrow functions, classes, methods, imports") {
  const std::string source = R"(import { readFile } from "node:fs/promises";
const path = require("path");

/**
 * Reads a config.
 */
export async function load(file) {
  return readFile(file);
}

export const twice = (x) => x * 2;
let count = 0;

class Cache extends Map {
  size = 0;
  // Gets a value.
  get(key) {
    return super.get(key);
  }
  static create() {
    return new Cache();
  }
}
)";
  CollectingSink sink;
  REQUIRE(Run("javascript", source, &sink).ok());
  Check(sink, {{"path", "constant", 2, 2, "", ""},
               {"load", "function", 7, 9, "", "Reads a config."},
               {"twice", "function", 11, 11, "", ""},
               {"count", "variable", 12, 12, "", ""},
               {"Cache", "class", 14, 23, "", ""},
               {"size", "field", 15, 15, "Cache", ""},
               {"get", "method", 17, 19, "Cache", "Gets a value."},
               {"create", "method", 20, 22, "Cache", ""}});
  CHECK(sink.Find("load", "function")->signature == "async function load(file)");
  CHECK(sink.Imports() == std::vector<std::string>{"node:fs/promises", "path"});
  CheckLines(sink, 16, 4, 3);
}

TEST_CASE("code analyzer: TypeScript interfaces, types, enums, classes, namespaces; TSX by its content") {
  const std::string source = R"(import { a } from "./a";
import * as fs from 'fs';

/** A shape. */
export interface Shape {
  area(): number;
  name: string;
}

export type Id = string | number;

enum Color { Red, Green }

// Adds.
export function add(x: number, y: number): number {
  return x + y;
}

export default class Circle implements Shape {
  radius = 1;
  /** The area. */
  area(): number {
    return 3.14;
  }
}

namespace Geo {
  export const origin = 0;
}
)";
  CollectingSink sink;
  REQUIRE(Run("typescript", source, &sink).ok());
  Check(sink, {{"Shape", "interface", 5, 8, "", "A shape."},
               {"area", "method", 6, 6, "Shape", ""},
               {"name", "field", 7, 7, "Shape", ""},
               {"Id", "type", 10, 10, "", ""},
               {"Color", "enum", 12, 12, "", ""},
               {"Red", "constant", 12, 12, "Color", ""},
               {"add", "function", 15, 17, "", "Adds."},
               {"Circle", "class", 19, 25, "", ""},
               {"radius", "field", 20, 20, "Circle", ""},
               {"area", "method", 22, 24, "Circle", "The area."},
               {"Geo", "module", 27, 29, "", ""}});
  CHECK(sink.Find("add", "function")->signature == "function add(x: number, y: number): number");
  CHECK(sink.Imports() == std::vector<std::string>{"./a", "fs"});
  CHECK(std::string(sink.document["grammar"].GetString()) == "typescript");
  CheckLines(sink, 20, 3, 6);

  CollectingSink tsx;
  REQUIRE(Run("typescript", "const el = <div className=\"x\">hi</div>;\nfunction App(): JSX.Element { return <App/>; }\n",
              &tsx).ok());
  CHECK(std::string(tsx.document["language"].GetString()) == "typescript");
  CHECK(std::string(tsx.document["grammar"].GetString()) == "tsx");
  CHECK(tsx.document["parse_errors"].GetInt64() == 0);
  Check(tsx, {{"App", "function", 2, 2, "", ""}});
}

TEST_CASE("code analyzer: Go packages, functions, methods with receivers, structs, interfaces, constants") {
  const std::string source = R"(// Package store keeps things.
package store

import (
	"fmt"
	str "strings"
)

// MaxSize is the limit.
const MaxSize = 10

const (
	A = iota
	B
)

var debug = false

// Store holds items.
type Store struct {
	items map[string]int
}

type Reader interface {
	Read(p []byte) (int, error)
}

// Get returns one item.
func (s *Store) Get(key string) (int, bool) {
	v, ok := s.items[key]
	return v, ok
}

func New() *Store { return &Store{} }
)";
  CollectingSink sink;
  REQUIRE(Run("go", source, &sink).ok());
  Check(sink, {{"store", "package", 2, 2, "", "Package store keeps things."},
               {"MaxSize", "constant", 10, 10, "", "MaxSize is the limit."},
               {"A", "constant", 13, 13, "", ""},
               {"B", "constant", 14, 14, "", ""},
               {"debug", "variable", 17, 17, "", ""},
               {"Store", "struct", 20, 22, "", "Store holds items."},
               {"items", "field", 21, 21, "Store", ""},
               {"Reader", "interface", 24, 26, "", ""},
               {"Read", "method", 25, 25, "Reader", ""},
               {"Get", "method", 29, 32, "Store", "Get returns one item."},
               {"New", "function", 34, 34, "", ""}});
  CHECK(sink.Find("Get", "method")->signature == "func (s *Store) Get(key string) (int, bool)");
  CHECK(sink.Find("Store", "struct")->signature == "type Store struct");
  CHECK(sink.Imports() == std::vector<std::string>{"fmt", "strings"});
  CheckLines(sink, 22, 4, 8);
}

TEST_CASE("code analyzer: Rust structs, enums, traits, impl methods, attributes between doc and item") {
  const std::string source = R"(use std::collections::HashMap;
use crate::{a, b};

/// A point.
#[derive(Debug)]
pub struct Point {
    pub x: i32,
}

pub enum Shape { Circle, Square }

pub trait Area {
    fn area(&self) -> f64;
}

impl Area for Point {
    /// Computes the area.
    fn area(&self) -> f64 { 0.0 }
}

pub const MAX: u32 = 10;
mod inner {}
macro_rules! square { ($x:expr) => { $x * $x }; }

// Runs.
fn main() {}
)";
  CollectingSink sink;
  REQUIRE(Run("rust", source, &sink).ok());
  Check(sink, {{"Point", "struct", 6, 8, "", "A point."},
               {"x", "field", 7, 7, "Point", ""},
               {"Shape", "enum", 10, 10, "", ""},
               {"Square", "constant", 10, 10, "Shape", ""},
               {"Area", "trait", 12, 14, "", ""},
               {"area", "method", 13, 13, "Area", ""},
               {"area", "method", 18, 18, "Point", "Computes the area."},
               {"MAX", "constant", 21, 21, "", ""},
               {"inner", "module", 22, 22, "", ""},
               {"square", "macro", 23, 23, "", ""},
               {"main", "function", 26, 26, "", "Runs."}});
  CHECK(sink.Find("area", "method", 18)->signature == "fn area(&self) -> f64");
  CHECK(sink.Imports() == std::vector<std::string>{"std::collections::HashMap", "crate::{a, b}"});
  CheckLines(sink, 17, 3, 6);
}

TEST_CASE("code analyzer: Java classes, constructors, methods, enums, interfaces, records") {
  const std::string source = R"(package com.example.store;

import java.util.List;
import static org.junit.Assert.*;

/** A store of items. */
public class Store<T> extends Base {
  public static final int MAX = 10;

  /** Makes a store. */
  public Store() {}

  // Gets one.
  @Override
  public T get(int index) throws Exception {
    return null;
  }

  enum Mode { READ, WRITE }
}

interface Named { String name(); }
record Pair(int a, int b) {}
)";
  CollectingSink sink;
  REQUIRE(Run("java", source, &sink).ok());
  Check(sink, {{"com.example.store", "package", 1, 1, "", ""},
               {"Store", "class", 7, 20, "", "A store of items."},
               {"MAX", "field", 8, 8, "Store", ""},
               {"Store", "constructor", 11, 11, "Store", "Makes a store."},
               {"get", "method", 14, 17, "Store", "Gets one."},
               {"Mode", "enum", 19, 19, "Store", ""},
               {"WRITE", "constant", 19, 19, "Mode", ""},
               {"Named", "interface", 22, 22, "", ""},
               {"name", "method", 22, 22, "Named", ""},
               {"Pair", "class", 23, 23, "", ""}});
  CHECK(sink.Find("get", "method")->signature == "@Override public T get(int index) throws Exception");
  CHECK(sink.Imports() == std::vector<std::string>{"java.util.List", "static org.junit.Assert.*"});
  CheckLines(sink, 14, 3, 6);
}

TEST_CASE("code analyzer: shell functions and variables; a shebang tells the language of a file without one") {
  const std::string source = R"(#!/bin/bash
source ./lib.sh
. "$HOME/env.sh"
export PATH=/bin
NAME=world

# Greets.
greet() {
  local who=$1
  echo "hello $who"
}

function cleanup {
  rm -f /tmp/x
}
)";
  for (const char* language : {"shell", ""}) {
    CollectingSink sink;
    REQUIRE(Run(language, source, &sink).ok());
    CHECK(std::string(sink.document["language"].GetString()) == "shell");
    Check(sink, {{"PATH", "variable", 4, 4, "", ""},
                 {"NAME", "variable", 5, 5, "", ""},
                 {"greet", "function", 8, 11, "", "Greets."},
                 {"cleanup", "function", 13, 15, "", ""}});
    CHECK(sink.Imports() == std::vector<std::string>{"./lib.sh", "$HOME/env.sh"});
    CheckLines(sink, 11, 2, 2);
  }
  CollectingSink python;
  REQUIRE(Run("", "#!/usr/bin/env python3\ndef main():\n    pass\n", &python).ok());
  CHECK(std::string(python.document["language"].GetString()) == "python");
  Check(python, {{"main", "function", 2, 3, "", ""}});
}

TEST_CASE("code analyzer: Markdown headings nest by level, with the level in the signature") {
  const std::string source = R"(# Tether

Intro text.

## Install

Run it.

### From source

Build.

Usage
-----

Text.
)";
  CollectingSink sink;
  REQUIRE(Run("markdown", source, &sink).ok());
  Check(sink, {{"Tether", "heading", 1, 16, "", ""},
               {"Install", "heading", 5, 12, "Tether", ""},
               {"From source", "heading", 9, 12, "Install", ""},
               {"Usage", "heading", 13, 16, "Tether", ""}});
  CHECK(sink.Find("From source", "heading")->signature == "### From source");
  CHECK(sink.Find("Usage", "heading")->signature == "## Usage");
  CheckLines(sink, 9, 0, 7);
}

TEST_CASE("code analyzer: a C header that is C++ is analysed as C++") {
  CollectingSink sink;
  REQUIRE(Run("c", "namespace x {\ntemplate <typename T> class Foo {\n public:\n  void Bar();\n};\n}\n", &sink).ok());
  CHECK(std::string(sink.document["language"].GetString()) == "cpp");
  Check(sink, {{"Foo", "class", 2, 5, "x", ""}, {"Bar", "method", 4, 4, "Foo", ""}});
}

TEST_CASE("code analyzer: invalid syntax still yields the symbols that parsed") {
  CollectingSink sink;
  REQUIRE(Run("python", "def broken(:\n  return 1\n\ndef good(x):\n    return x\n\nclass {\n", &sink).ok());
  CHECK(sink.document["parse_errors"].GetInt64() > 0);
  Check(sink, {{"good", "function", 4, 5, "", ""}});

  CollectingSink go;
  REQUIRE(Run("go", "package p\n\nfunc ok() int { return 1 }\n\nfunc bad( { \n\nfunc fine() {}\n", &go).ok());
  Check(go, {{"ok", "function", 3, 3, "", ""}});
}

TEST_CASE("code analyzer: another language gets line counts only, never an error") {
  CollectingSink sink;
  REQUIRE(Run("kotlin", "fun main() {\n\n  println(\"hi\")\n}\n", &sink).ok());
  CHECK(sink.symbols.empty());
  CHECK(std::string(sink.document["language"].GetString()) == "kotlin");
  CHECK(!sink.document.HasMember("imports"));
  CheckLines(sink, 3, 0, 1);

  CollectingSink unknown;
  REQUIRE(Run("", "just some text\n", &unknown).ok());
  CHECK(unknown.symbols.empty());
  CheckLines(unknown, 1, 0, 0);
}

TEST_CASE("code analyzer: hostile input returns within its time limit without crashing") {
  const std::string parens(100000, '(');
  for (const char* language : {"c", "cpp", "python", "javascript", "typescript", "go", "rust", "java", "shell",
                               "markdown"}) {
    INFO(language);
    CollectingSink sink;
    const auto start = std::chrono::steady_clock::now();
    const Status status = Run(language, parens, &sink, 2000);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took < std::chrono::seconds(4));
    // Either it finished (lines counted) or it gave up as the contract says.
    if (status.ok()) {
      CHECK(sink.Lines("code") == 1);
    } else {
      CHECK(status.code() == StatusCode::kUnavailable);
    }
  }
  // Deep nesting that parses, a huge line, and a time limit too short to parse.
  std::string nested = "x = ";
  nested.append(20000, '[');
  CollectingSink deep;
  const Status deep_status = Run("python", nested, &deep, 5000);
  CHECK((deep_status.ok() || deep_status.code() == StatusCode::kUnavailable));
  CollectingSink line;
  REQUIRE(Run("javascript", "var s = \"" + std::string(3000000, 'a') + "\";\n", &line).ok());
  CHECK(line.Find("s", "variable") != nullptr);
  CHECK(line.Find("s", "variable")->signature.size() <= 300);

  std::string big;
  for (int i = 0; i < 20000; ++i) big += "int f" + std::to_string(i) + "(int a) { return a + " + std::to_string(i) + "; }\n";
  CollectingSink slow;
  const Status timed_out = Run("c", big, &slow, 1);
  REQUIRE(!timed_out.ok());
  CHECK(timed_out.code() == StatusCode::kUnavailable);
  CHECK(timed_out.message().find("took longer than 1 ms") != std::string::npos);
}

TEST_CASE("code analyzer: past 100,000 symbols it stops adding and says so in the data") {
  std::string source;
  for (int i = 0; i < 100050; ++i) source += "#define M" + std::to_string(i) + " 1\n";
  CollectingSink sink;
  REQUIRE(Run("c", source, &sink, 60000).ok());
  CHECK(sink.symbols.size() == 100000);
  CHECK(sink.document["symbols_truncated"].GetBool());
  CHECK(sink.document["symbols_found"].GetInt64() == 100050);
}

TEST_CASE("code analyzer: several threads analyse at once with the same results") {
  const std::string source = "def a():\n    pass\n\nclass B:\n    def c(self):\n        pass\n";
  // Code() asserts with Catch, which is not thread safe: ask once, here.
  Analyzer* analyzer = Code();
  AnalysisInput input;
  input.blob_id = "0123456789abcdef";
  input.content = source;
  input.language = "python";
  input.path = "test-input";
  input.time_limit_ms = 10000;
  std::vector<std::thread> threads;
  std::vector<size_t> counts(4, 0);
  for (size_t t = 0; t < counts.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        CollectingSink sink;
        if (analyzer->Analyze(input, &sink).ok()) counts[t] += sink.symbols.size();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t count : counts) CHECK(count == 50 * 3);
}

TEST_CASE("code analyzer: an unknown settings key is refused at load, naming the key") {
  plugin_host::PluginHost host(TETHER_PLUGIN_DIR, "");
  config::PluginConfig code;
  code.name = "code";
  code.kind = "analyzer";
  code.settings_json = R"({"max_symbol": 10})";
  host.Load({code});
  REQUIRE(host.plugins().size() == 1);
  CHECK(host.plugins()[0].state == plugin_host::PluginState::kBroken);
  CHECK(host.plugins()[0].error.find("max_symbol") != std::string::npos);
  CHECK(!host.FindAnalyzer("code").ok());
}

}  // namespace
}  // namespace tether
