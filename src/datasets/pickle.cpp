#include "pickle.hpp"

#include <cstring>
#include <fstream>
#include <iterator>

#include "keras/core/errors.hpp"

namespace keras::datasets::pickle {

namespace {

using Kind = Value::Kind;

ValuePtr make(Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

class Machine {
 public:
  Machine(std::string path, std::string bytes) : path_(std::move(path)), in_(std::move(bytes)) {}

  ValuePtr run() {
    while (true) {
      const std::size_t at = pos_;
      const auto op = static_cast<unsigned char>(take(1)[0]);
      switch (op) {
        case 0x80: take(1); break;                        // PROTO
        case 0x95: take(8); break;                        // FRAME
        case '}': push(make(Kind::dict)); break;          // EMPTY_DICT
        case ']': push(make(Kind::list)); break;          // EMPTY_LIST
        case ')': push(make(Kind::tuple)); break;         // EMPTY_TUPLE
        case '(': marks_.push_back(stack_.size()); break; // MARK
        case 'q': memo_[u(1)] = top(at); break;           // BINPUT
        case 'r': memo_[u(4)] = top(at); break;           // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(at); break;  // MEMOIZE
        case 'h': push(memo(u(1), at)); break;            // BINGET
        case 'j': push(memo(u(4), at)); break;            // LONG_BINGET
        case 'U': push(bytes(take(u(1)))); break;         // SHORT_BINSTRING (Python 2 str)
        case 'T': push(bytes(take(u(4)))); break;         // BINSTRING
        case 'C': push(bytes(take(u(1)))); break;         // SHORT_BINBYTES
        case 'B': push(bytes(take(u(4)))); break;         // BINBYTES
        case 'X': push(text(take(u(4)))); break;          // BINUNICODE
        case 0x8c: push(text(take(u(1)))); break;         // SHORT_BINUNICODE
        case 'K': push(integer(static_cast<std::int64_t>(u(1)))); break;  // BININT1
        case 'M': push(integer(static_cast<std::int64_t>(u(2)))); break;  // BININT2
        case 'J': push(integer(static_cast<std::int32_t>(u(4)))); break;  // BININT
        case 0x8a: push(integer(long1(at))); break;       // LONG1
        case 'G': push(float64()); break;                 // BINFLOAT
        case 'N': push(make(Kind::none)); break;
        case 0x88: push(boolean(true)); break;            // NEWTRUE
        case 0x89: push(boolean(false)); break;           // NEWFALSE
        case 't': push(tuple(pop_mark(at))); break;       // TUPLE
        case 0x85: push(tuple(pop_n(1, at))); break;      // TUPLE1
        case 0x86: push(tuple(pop_n(2, at))); break;      // TUPLE2
        case 0x87: push(tuple(pop_n(3, at))); break;      // TUPLE3
        case 'a': {                                       // APPEND
          auto v = pop(at);
          expect(top(at), Kind::list, at, "APPEND")->items.push_back(v);
          break;
        }
        case 'e': {                                       // APPENDS
          auto items = pop_mark(at);
          auto& list = expect(top(at), Kind::list, at, "APPENDS")->items;
          list.insert(list.end(), items.begin(), items.end());
          break;
        }
        case 's': {                                       // SETITEM
          auto v = pop(at), k = pop(at);
          expect(top(at), Kind::dict, at, "SETITEM")->entries.emplace_back(k, v);
          break;
        }
        case 'u': {                                       // SETITEMS
          auto items = pop_mark(at);
          auto dict = expect(top(at), Kind::dict, at, "SETITEMS");
          for (std::size_t i = 0; i + 1 < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
          break;
        }
        case 'c': {                                       // GLOBAL module\nname\n
          const std::string module = line(), name = line();
          auto g = make(Kind::global);
          g->text = module + "." + name;
          push(g);
          break;
        }
        case 0x93: {                                      // STACK_GLOBAL
          auto name = pop(at), module = pop(at);
          auto g = make(Kind::global);
          g->text = module->text + "." + name->text;
          push(g);
          break;
        }
        case 'R': {                                       // REDUCE
          auto args = pop(at), callable = pop(at);
          push(reduce(*callable, *args, at));
          break;
        }
        case 'b': {                                       // BUILD
          auto state = pop(at);
          build(*top(at), *state, at);
          break;
        }
        case '.': return pop(at);                         // STOP
        default: fail(at, "unsupported pickle opcode 0x" + hex(op));
      }
    }
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw IOError(path_ + ": " + what + " at byte " + std::to_string(at) +
                  "; this reader accepts the pickles of CIFAR's python version (dicts of labels, names and "
                  "one uint8 numpy array)");
  }
  static std::string hex(unsigned v) {
    const char* digits = "0123456789abcdef";
    return {digits[(v >> 4) & 15], digits[v & 15]};
  }
  std::string take(std::size_t n) {
    if (pos_ + n > in_.size()) {
      throw IOError(path_ + ": truncated at byte " + std::to_string(in_.size()) + " (needed " + std::to_string(n) +
                    " more bytes at byte " + std::to_string(pos_) + ")");
    }
    std::string s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::size_t u(int n) {  // little-endian unsigned
    const std::string b = take(static_cast<std::size_t>(n));
    std::size_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[static_cast<std::size_t>(i)]);
    return v;
  }
  std::int64_t long1(std::size_t at) {
    const std::size_t n = u(1);
    if (n > 8) fail(at, "integer of " + std::to_string(n) + " bytes");
    const std::string b = take(n);
    std::int64_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(b[i]);
    if (n > 0 && n < 8 && (static_cast<unsigned char>(b[n - 1]) & 0x80)) v -= std::int64_t(1) << (8 * n);
    return v;
  }
  ValuePtr float64() {
    std::string b = take(8);
    std::uint64_t bits = 0;
    for (unsigned char c : b) bits = (bits << 8) | c;  // big-endian
    auto v = make(Kind::floating);
    std::memcpy(&v->floating, &bits, 8);
    return v;
  }
  std::string line() {
    const std::size_t end = in_.find('\n', pos_);
    if (end == std::string::npos) fail(pos_, "unterminated GLOBAL name");
    std::string s = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  static ValuePtr bytes(std::string s) {
    auto v = make(Kind::bytes);
    v->text = std::move(s);
    return v;
  }
  static ValuePtr text(std::string s) {
    auto v = make(Kind::text);
    v->text = std::move(s);
    return v;
  }
  static ValuePtr integer(std::int64_t i) {
    auto v = make(Kind::integer);
    v->integer = i;
    return v;
  }
  static ValuePtr boolean(bool b) {
    auto v = make(Kind::boolean);
    v->integer = b;
    return v;
  }
  static ValuePtr tuple(std::vector<ValuePtr> items) {
    auto v = make(Kind::tuple);
    v->items = std::move(items);
    return v;
  }
  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr pop(std::size_t at) {
    if (stack_.empty()) fail(at, "stack underflow");
    auto v = stack_.back();
    stack_.pop_back();
    return v;
  }
  ValuePtr top(std::size_t at) {
    if (stack_.empty()) fail(at, "stack underflow");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_n(std::size_t n, std::size_t at) {
    if (stack_.size() < n) fail(at, "stack underflow");
    std::vector<ValuePtr> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return items;
  }
  std::vector<ValuePtr> pop_mark(std::size_t at) {
    if (marks_.empty()) fail(at, "no MARK");
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    return pop_n(stack_.size() - mark, at);
  }
  ValuePtr memo(std::size_t key, std::size_t at) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) fail(at, "memo entry " + std::to_string(key) + " used before it was stored");
    return it->second;
  }
  ValuePtr expect(ValuePtr v, Kind kind, std::size_t at, const char* op) {
    if (v->kind != kind) fail(at, std::string(op) + " on the wrong kind of object");
    return v;
  }
  // The calls these pickles make: Python 3's bytes in protocol 2, numpy's array and dtype.
  ValuePtr reduce(const Value& callable, const Value& args, std::size_t at) {
    const std::string& name = callable.text;
    if (callable.kind != Kind::global || args.kind != Kind::tuple) fail(at, "REDUCE of a non-global");
    if (name == "_codecs.encode" && !args.items.empty() && args.items[0]->kind == Kind::text) {
      return bytes(latin1(args.items[0]->text, at));
    }
    if (name == "numpy.core.multiarray._reconstruct" || name == "numpy._core.multiarray._reconstruct") {
      return make(Kind::ndarray);
    }
    if (name == "numpy.dtype" && !args.items.empty()) {
      auto d = make(Kind::dtype);
      d->text = args.items[0]->text;
      return d;
    }
    fail(at, "call of '" + name + "'");
  }
  // Python 3 writes bytes in protocol 2 as the latin-1 decoding of the bytes, in UTF-8.
  std::string latin1(const std::string& utf8, std::size_t at) {
    std::string out;
    for (std::size_t i = 0; i < utf8.size(); ++i) {
      const auto c = static_cast<unsigned char>(utf8[i]);
      if (c < 0x80) {
        out += static_cast<char>(c);
      } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
        const unsigned code = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3Fu);
        if (code > 0xFF) fail(at, "bytes outside latin-1");
        out += static_cast<char>(code);
      } else {
        fail(at, "bytes outside latin-1");
      }
    }
    return out;
  }
  void build(Value& object, const Value& state, std::size_t at) {
    if (object.kind == Kind::dtype) return;  // byte order and flags: uint8 has none
    if (object.kind != Kind::ndarray || state.kind != Kind::tuple || state.items.size() < 5) {
      fail(at, "BUILD of an object other than a numpy array");
    }
    const auto& shape = *state.items[1];
    const auto& dtype = *state.items[2];
    const auto& data = *state.items[4];
    if (shape.kind != Kind::tuple || dtype.kind != Kind::dtype || (data.kind != Kind::bytes && data.kind != Kind::text)) {
      fail(at, "a numpy array state other than (version, shape, dtype, fortran, raw bytes)");
    }
    if (state.items[3]->kind == Kind::boolean && state.items[3]->integer) fail(at, "a Fortran-ordered numpy array");
    for (const auto& d : shape.items) object.shape.push_back(d->integer);
    object.dtype = dtype.text;
    object.data = data.kind == Kind::text ? latin1(data.text, at) : data.text;
  }

  std::string path_, in_;
  std::size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<std::size_t> marks_;
  std::map<std::size_t, ValuePtr> memo_;
};

}  // namespace

ValuePtr load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(path + ": cannot open the file");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw IOError(path + ": the file is empty");
  return Machine(path, std::move(bytes)).run();
}

ValuePtr find(const Value& dict, const std::string& key) {
  for (const auto& [k, v] : dict.entries) {
    if ((k->kind == Value::Kind::bytes || k->kind == Value::Kind::text) && k->text == key) return v;
  }
  return nullptr;
}

}  // namespace keras::datasets::pickle
