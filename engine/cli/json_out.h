// JsonOut: builds one JSON document for --json output and prints it on
// stdout when done. A thin layer over RapidJSON's writer.
#ifndef TETHER_ENGINE_CLI_JSON_OUT_H_
#define TETHER_ENGINE_CLI_JSON_OUT_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

namespace tether::cli {

class JsonOut {
 public:
  JsonOut() : writer_(buffer_) { writer_.SetIndent(' ', 2); }

  JsonOut& Begin() { writer_.StartObject(); return *this; }
  JsonOut& End() { writer_.EndObject(); return *this; }
  JsonOut& BeginArray(const char* key) { writer_.Key(key); writer_.StartArray(); return *this; }
  JsonOut& EndArray() { writer_.EndArray(); return *this; }
  JsonOut& BeginObject(const char* key) { writer_.Key(key); writer_.StartObject(); return *this; }
  JsonOut& Str(const char* key, const std::string& value) {
    writer_.Key(key);
    writer_.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  // Writes null for an empty string.
  JsonOut& StrOrNull(const char* key, const std::string& value) {
    writer_.Key(key);
    if (value.empty()) writer_.Null();
    else writer_.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  JsonOut& Int(const char* key, int64_t value) { writer_.Key(key); writer_.Int64(value); return *this; }
  JsonOut& Num(const char* key, double value) { writer_.Key(key); writer_.Double(value); return *this; }
  // Writes null for a negative value (a phase that did not run).
  JsonOut& NumOrNull(const char* key, double value) {
    writer_.Key(key);
    if (value < 0) writer_.Null();
    else writer_.Double(value);
    return *this;
  }
  JsonOut& Bool(const char* key, bool value) { writer_.Key(key); writer_.Bool(value); return *this; }

  // Raw writer, for array elements.
  rapidjson::PrettyWriter<rapidjson::StringBuffer>& writer() { return writer_; }

  void Print() { std::printf("%s\n", buffer_.GetString()); }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer_;
};

}  // namespace tether::cli

#endif  // TETHER_ENGINE_CLI_JSON_OUT_H_
