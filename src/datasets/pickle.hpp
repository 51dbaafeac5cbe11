#pragma once
// A reader for the pickles of CIFAR's python version: protocol 2 (and the few opcodes of 3-4
// that the same structures use), dicts of bytes/str keys holding integer lists, byte strings
// and one numpy uint8 array. Anything else is an IOError naming the file, the offset and the
// opcode — it runs no code and constructs no arbitrary objects.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace keras::datasets::pickle {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  enum class Kind { none, boolean, integer, floating, bytes, text, list, tuple, dict, global, dtype, ndarray };
  Kind kind = Kind::none;
  std::int64_t integer = 0;
  double floating = 0.0;
  std::string text;                 // bytes, str (UTF-8), global name "module.name", dtype "u1"
  std::vector<ValuePtr> items;      // list, tuple
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // dict
  std::vector<std::int64_t> shape;  // ndarray
  std::string dtype;                // ndarray: numpy's type string ("u1")
  std::string data;                 // ndarray: the raw bytes, C order
};

// Parses a whole pickle file; `path` names it in errors.
ValuePtr load(const std::string& path);

// Dict lookup by a key stored either as bytes (Python 2 pickles) or as str.
ValuePtr find(const Value& dict, const std::string& key);

}  // namespace keras::datasets::pickle
