#include "config_support.hpp"

namespace keras::internal {

json keras_object(const std::string& module, const std::string& class_name, json config) {
  return {{"module", module}, {"class_name", class_name}, {"config", std::move(config)},
          {"registered_name", nullptr}};
}

json pair(Size2 s) { return json::array({s.h, s.w}); }

json initializer_config(const initializers::Initializer& init) {
  using Kind = initializers::Initializer::Kind;
  const auto [a, b] = init.parameters();
  json seed = init.seed() ? json(*init.seed()) : json(nullptr);
  json config = json::object();
  switch (init.kind()) {
    case Kind::zeros:
    case Kind::ones: break;
    case Kind::constant: config = {{"value", a}}; break;
    case Kind::random_uniform: config = {{"minval", a}, {"maxval", b}, {"seed", seed}}; break;
    case Kind::random_normal:
    case Kind::truncated_normal: config = {{"mean", a}, {"stddev", b}, {"seed", seed}}; break;
    default: config = {{"seed", seed}}; break;
  }
  return keras_object("keras.initializers", init.name(), config);
}

json regularizer_config(const regularizers::Regularizer& r) {
  if (!r.active()) return nullptr;
  if (r.l1() == 0.0f) return keras_object("keras.regularizers", "L2", {{"l2", r.l2()}});
  if (r.l2() == 0.0f) return keras_object("keras.regularizers", "L1", {{"l1", r.l1()}});
  return keras_object("keras.regularizers", "L1L2", {{"l1", r.l1()}, {"l2", r.l2()}});
}

json padding_config(const Padding2D& p) {
  return json::array({json::array({p.top, p.bottom}), json::array({p.left, p.right})});
}

json no_constraints(std::initializer_list<const char*> keys) {
  json out = json::object();
  for (const char* k : keys) out[k] = nullptr;
  return out;
}

}  // namespace keras::internal
