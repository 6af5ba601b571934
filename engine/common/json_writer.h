// JsonWriter: builds one JSON document (pretty-printed, two-space indent)
// with a fluent interface over RapidJSON's writer. Used for the CLI's --json
// output and the HTTP API's bodies.
//
// Thread safety: none; one writer per document. Errors: none (misuse, such
// as a value without a key inside an object, is a programming error that
// RapidJSON asserts in debug builds).
#ifndef TETHER_ENGINE_COMMON_JSON_WRITER_H_
#define TETHER_ENGINE_COMMON_JSON_WRITER_H_

#include <cstdint>
#include <string>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

namespace tether {

// The fluent calls return `Self&`, so that a class derived as
// `class X : public BasicJsonWriter<X>` keeps its own methods in a chain.
template <typename Self>
class BasicJsonWriter {
 public:
  BasicJsonWriter() : writer_(buffer_) { writer_.SetIndent(' ', 2); }

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

  // Raw writer, for array elements.
  rapidjson::PrettyWriter<rapidjson::StringBuffer>& writer() { return writer_; }

  // The document so far.
  std::string Text() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }

 private:
  Self& self() { return static_cast<Self&>(*this); }

  rapidjson::StringBuffer buffer_;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer_;
};

class JsonWriter : public BasicJsonWriter<JsonWriter> {};

}  // namespace tether

#endif  // TETHER_ENGINE_COMMON_JSON_WRITER_H_
