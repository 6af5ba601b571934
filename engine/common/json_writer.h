// JsonWriter: builds one JSON document with a fluent interface over
// RapidJSON's writer; the engine's only JSON writer. Two layouts, the same
// calls:
//   JsonWriter         pretty-printed, two-space indent: the CLI's --json
//                      output and the HTTP API's bodies;
//   CompactJsonWriter  one line: what is stored or streamed (event payloads,
//                      SSE frames) and the webhook's replies.
//
// Thread safety: none; one writer per document. Errors: none (misuse, such
// as a value without a key inside an object, is a programming error that
// RapidJSON asserts in debug builds).
#ifndef TETHER_ENGINE_COMMON_JSON_WRITER_H_
#define TETHER_ENGINE_COMMON_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace tether {

// The fluent calls return `Self&`, the concrete writer (JsonWriter or
// CompactJsonWriter), so that either can be forward-declared and passed by
// reference. `RapidWriter` picks the layout.
template <typename Self, typename RapidWriter>
class BasicJsonWriter {
 public:
  BasicJsonWriter() : writer_(buffer_) {
    if constexpr (std::is_same_v<RapidWriter, rapidjson::PrettyWriter<rapidjson::StringBuffer>>) {
      writer_.SetIndent(' ', 2);
    }
  }

  // An object: the document itself, or an element of the array being
  // written.
  Self& Begin() { writer_.StartObject(); return self(); }
  Self& End() { writer_.EndObject(); return self(); }
  Self& BeginArray(const char* key) { writer_.Key(key); writer_.StartArray(); return self(); }
  Self& EndArray() { writer_.EndArray(); return self(); }
  Self& BeginObject(const char* key) { writer_.Key(key); writer_.StartObject(); return self(); }
  Self& Str(const char* key, const std::string& value) {
    writer_.Key(key);
    writer_.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
    return self();
  }
  // Writes null for an empty string.
  Self& StrOrNull(const char* key, const std::string& value) {
    writer_.Key(key);
    if (value.empty()) writer_.Null();
    else writer_.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
    return self();
  }
  // An array of strings.
  Self& List(const char* key, const std::vector<std::string>& values) {
    writer_.Key(key);
    writer_.StartArray();
    for (const std::string& v : values) writer_.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    writer_.EndArray();
    return self();
  }
  Self& Null(const char* key) { writer_.Key(key); writer_.Null(); return self(); }
  Self& Int(const char* key, int64_t value) { writer_.Key(key); writer_.Int64(value); return self(); }
  Self& Num(const char* key, double value) { writer_.Key(key); writer_.Double(value); return self(); }
  // Writes null for a negative value (a phase that did not run).
  Self& NumOrNull(const char* key, double value) {
    writer_.Key(key);
    if (value < 0) writer_.Null();
    else writer_.Double(value);
    return self();
  }
  Self& Bool(const char* key, bool value) { writer_.Key(key); writer_.Bool(value); return self(); }

  // Raw writer, for array elements and values copied from a parsed document
  // (`value.Accept(json.writer())`).
  RapidWriter& writer() { return writer_; }

  // The document so far.
  std::string Text() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }

 private:
  Self& self() { return static_cast<Self&>(*this); }

  rapidjson::StringBuffer buffer_;
  RapidWriter writer_;
};

class JsonWriter final : public BasicJsonWriter<JsonWriter, rapidjson::PrettyWriter<rapidjson::StringBuffer>> {};

class CompactJsonWriter final
    : public BasicJsonWriter<CompactJsonWriter, rapidjson::Writer<rapidjson::StringBuffer>> {};

}  // namespace tether

#endif  // TETHER_ENGINE_COMMON_JSON_WRITER_H_
