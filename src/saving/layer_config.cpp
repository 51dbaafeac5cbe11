#include "layer_config.hpp"

#include <functional>
#include <map>

#include "keras/layers/activation.hpp"
#include "keras/layers/add.hpp"
#include "keras/layers/average.hpp"
#include "keras/layers/average_pooling2d.hpp"
#include "keras/layers/batch_normalization.hpp"
#include "keras/layers/concatenate.hpp"
#include "keras/layers/conv2d.hpp"
#include "keras/layers/cropping2d.hpp"
#include "keras/layers/dense.hpp"
#include "keras/layers/depthwise_conv2d.hpp"
#include "keras/layers/dropout.hpp"
#include "keras/layers/elu.hpp"
#include "keras/layers/flatten.hpp"
#include "keras/layers/global_average_pooling2d.hpp"
#include "keras/layers/global_max_pooling2d.hpp"
#include "keras/layers/input_layer.hpp"
#include "keras/layers/leaky_re_lu.hpp"
#include "keras/layers/max_pooling2d.hpp"
#include "keras/layers/multiply.hpp"
#include "keras/layers/re_lu.hpp"
#include "keras/layers/rescaling.hpp"
#include "keras/layers/reshape.hpp"
#include "keras/layers/resizing.hpp"
#include "keras/layers/separable_conv2d.hpp"
#include "keras/layers/softmax.hpp"
#include "keras/layers/spatial_dropout2d.hpp"
#include "keras/layers/zero_padding2d.hpp"

namespace keras::internal {

using nlohmann::json;
using namespace keras::layers;

nlohmann::json parse_json(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw IOError(what + " is not valid JSON (" + e.what() + ")");
  }
}

namespace {

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

json dtype_config(const Layer& layer, ConfigStyle style) {
  const std::string& name = layer.dtype_policy().name();
  if (style == ConfigStyle::keras3) {
    return keras_object("keras", "DTypePolicy", {{"name", name}});
  }
  if (name == "float32") return name;
  return {{"class_name", "Policy"}, {"config", {{"name", name}}}};
}

json padding_config(const Padding2D& p) {
  return json::array({json::array({p.top, p.bottom}), json::array({p.left, p.right})});
}

template <class Impl>
const Impl& as(const Layer& layer) {
  return dynamic_cast<const Impl&>(layer);
}

// The config of one layer class: the arguments beyond name, trainable and dtype.
json class_config(const Layer& layer, ConfigStyle style) {
  const std::string& cls = layer.class_name();
  if (cls == "Dense") {
    const auto& l = as<DenseImpl>(layer);
    const auto& o = l.options();
    return {{"units", l.units()}, {"activation", o.activation}, {"use_bias", o.use_bias},
            {"kernel_initializer", initializer_config(o.kernel_initializer)},
            {"bias_initializer", initializer_config(o.bias_initializer)},
            {"kernel_regularizer", regularizer_config(o.kernel_regularizer)},
            {"bias_regularizer", regularizer_config(o.bias_regularizer)},
            {"activity_regularizer", nullptr}, {"kernel_constraint", nullptr}, {"bias_constraint", nullptr}};
  }
  if (cls == "Conv2D") {
    const auto& l = as<Conv2DImpl>(layer);
    const auto& o = l.options();
    return {{"filters", l.filters()}, {"kernel_size", pair(l.kernel_size())}, {"strides", pair(o.strides)},
            {"padding", o.padding}, {"data_format", o.data_format}, {"dilation_rate", pair(o.dilation_rate)},
            {"groups", o.groups}, {"activation", o.activation}, {"use_bias", o.use_bias},
            {"kernel_initializer", initializer_config(o.kernel_initializer)},
            {"bias_initializer", initializer_config(o.bias_initializer)},
            {"kernel_regularizer", regularizer_config(o.kernel_regularizer)},
            {"bias_regularizer", regularizer_config(o.bias_regularizer)},
            {"activity_regularizer", nullptr}, {"kernel_constraint", nullptr}, {"bias_constraint", nullptr}};
  }
  if (cls == "DepthwiseConv2D") {
    const auto& l = as<DepthwiseConv2DImpl>(layer);
    const auto& o = l.options();
    return {{"kernel_size", pair(l.kernel_size())}, {"strides", pair(o.strides)}, {"padding", o.padding},
            {"depth_multiplier", o.depth_multiplier}, {"data_format", o.data_format},
            {"dilation_rate", pair(o.dilation_rate)}, {"activation", o.activation}, {"use_bias", o.use_bias},
            {"depthwise_initializer", initializer_config(o.depthwise_initializer)},
            {"bias_initializer", initializer_config(o.bias_initializer)},
            {"depthwise_regularizer", regularizer_config(o.depthwise_regularizer)},
            {"bias_regularizer", regularizer_config(o.bias_regularizer)},
            {"activity_regularizer", nullptr}, {"depthwise_constraint", nullptr}, {"bias_constraint", nullptr}};
  }
  if (cls == "SeparableConv2D") {
    const auto& l = as<SeparableConv2DImpl>(layer);
    const auto& o = l.options();
    return {{"filters", l.filters()}, {"kernel_size", pair(l.kernel_size())}, {"strides", pair(o.strides)},
            {"padding", o.padding}, {"data_format", o.data_format}, {"dilation_rate", pair(o.dilation_rate)},
            {"depth_multiplier", o.depth_multiplier}, {"activation", o.activation}, {"use_bias", o.use_bias},
            {"depthwise_initializer", initializer_config(o.depthwise_initializer)},
            {"pointwise_initializer", initializer_config(o.pointwise_initializer)},
            {"bias_initializer", initializer_config(o.bias_initializer)},
            {"depthwise_regularizer", regularizer_config(o.depthwise_regularizer)},
            {"pointwise_regularizer", regularizer_config(o.pointwise_regularizer)},
            {"bias_regularizer", regularizer_config(o.bias_regularizer)}, {"activity_regularizer", nullptr},
            {"depthwise_constraint", nullptr}, {"pointwise_constraint", nullptr}, {"bias_constraint", nullptr}};
  }
  if (cls == "BatchNormalization") {
    const auto& o = as<BatchNormalizationImpl>(layer).options();
    return {{"axis", o.axis}, {"momentum", o.momentum}, {"epsilon", o.epsilon}, {"center", o.center},
            {"scale", o.scale}, {"beta_initializer", initializer_config(o.beta_initializer)},
            {"gamma_initializer", initializer_config(o.gamma_initializer)},
            {"moving_mean_initializer", initializer_config(o.moving_mean_initializer)},
            {"moving_variance_initializer", initializer_config(o.moving_variance_initializer)},
            {"beta_regularizer", regularizer_config(o.beta_regularizer)},
            {"gamma_regularizer", regularizer_config(o.gamma_regularizer)},
            {"beta_constraint", nullptr}, {"gamma_constraint", nullptr}};
  }
  if (cls == "MaxPooling2D" || cls == "AveragePooling2D") {
    const bool max = cls == "MaxPooling2D";
    const Size2 pool = max ? as<MaxPooling2DImpl>(layer).pool_size() : as<AveragePooling2DImpl>(layer).pool_size();
    const auto& strides = max ? as<MaxPooling2DImpl>(layer).options().strides
                              : as<AveragePooling2DImpl>(layer).options().strides;
    const auto& padding = max ? as<MaxPooling2DImpl>(layer).options().padding
                              : as<AveragePooling2DImpl>(layer).options().padding;
    return {{"pool_size", pair(pool)}, {"padding", padding}, {"strides", pair(strides.value_or(pool))},
            {"data_format", "channels_last"}};
  }
  if (cls == "GlobalAveragePooling2D") {
    const auto& o = as<GlobalAveragePooling2DImpl>(layer).options();
    return {{"data_format", o.data_format}, {"keepdims", o.keepdims}};
  }
  if (cls == "GlobalMaxPooling2D") {
    const auto& o = as<GlobalMaxPooling2DImpl>(layer).options();
    return {{"data_format", o.data_format}, {"keepdims", o.keepdims}};
  }
  if (cls == "Dropout") {
    const auto& l = as<DropoutImpl>(layer);
    const auto& o = l.options();
    json noise = nullptr;
    if (o.noise_shape) {
      noise = json::array();
      for (auto d : *o.noise_shape) noise.push_back(d < 0 ? json(nullptr) : json(d));
    }
    return {{"rate", l.rate()}, {"noise_shape", noise}, {"seed", o.seed ? json(*o.seed) : json(nullptr)}};
  }
  if (cls == "SpatialDropout2D") {
    const auto& l = as<SpatialDropout2DImpl>(layer);
    return {{"rate", l.rate()}, {"data_format", l.options().data_format},
            {"seed", l.options().seed ? json(*l.options().seed) : json(nullptr)}};
  }
  if (cls == "Flatten") return {{"data_format", as<FlattenImpl>(layer).options().data_format}};
  if (cls == "Activation") return {{"activation", as<ActivationImpl>(layer).activation()}};
  if (cls == "ReLU") {
    const auto& o = as<ReLUImpl>(layer).options();
    return {{"max_value", o.max_value ? json(*o.max_value) : json(nullptr)},
            {"negative_slope", o.negative_slope}, {"threshold", o.threshold}};
  }
  if (cls == "LeakyReLU") {
    const float slope = as<LeakyReLUImpl>(layer).options().negative_slope;
    return {{style == ConfigStyle::keras2 ? "alpha" : "negative_slope", slope}};
  }
  if (cls == "ELU") return {{"alpha", as<ELUImpl>(layer).options().alpha}};
  if (cls == "Softmax") return {{"axis", as<SoftmaxImpl>(layer).options().axis}};
  if (cls == "Add" || cls == "Multiply" || cls == "Average") return json::object();
  if (cls == "Concatenate") return {{"axis", as<ConcatenateImpl>(layer).axis()}};
  if (cls == "Reshape") {
    return {{"target_shape", as<ReshapeImpl>(layer).target_shape().dims()}};
  }
  if (cls == "ZeroPadding2D") {
    return {{"padding", padding_config(as<ZeroPadding2DImpl>(layer).padding())}, {"data_format", "channels_last"}};
  }
  if (cls == "Cropping2D") {
    return {{"cropping", padding_config(as<Cropping2DImpl>(layer).cropping())}, {"data_format", "channels_last"}};
  }
  if (cls == "Rescaling") {
    const auto& l = as<RescalingImpl>(layer);
    return {{"scale", l.scale()}, {"offset", l.offset()}};
  }
  if (cls == "Resizing") {
    const auto& l = as<ResizingImpl>(layer);
    const auto& o = l.options();
    return {{"height", l.height()}, {"width", l.width()}, {"interpolation", o.interpolation},
            {"crop_to_aspect_ratio", o.crop_to_aspect_ratio}, {"data_format", o.data_format}};
  }
  throw ValueError("cannot save layer '" + layer.name() + "' of class " + cls +
                   ": kerascpp has no Keras config for it (custom layers cannot be saved in a model "
                   "file; save the weights with save_weights and rebuild the model in code)");
}

// Reads one layer config's arguments, naming the layer in every error.
class ConfigArgs {
 public:
  ConfigArgs(const json& config, const std::string& class_name) : c_(config) {
    if (!c_.is_object()) throw ValueError("the config of a " + class_name + " layer is not a JSON object");
    name_ = c_.contains("name") && c_["name"].is_string() ? c_["name"].get<std::string>() : std::string();
    where_ = "layer '" + name_ + "' (" + class_name + ")";
  }
  const std::string& name() const { return name_; }
  bool present(const char* key) const { return c_.contains(key) && !c_[key].is_null(); }
  const json& at(const char* key) const { return c_.at(key); }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw ValueError(where_ + ": config argument '" + key + "' " + what);
  }
  double number(const char* key, double fallback) const {
    if (!present(key)) return fallback;
    if (!c_[key].is_number()) fail(key, "must be a number, got " + c_[key].dump());
    return c_[key].get<double>();
  }
  // The first of `keys` present (new spelling first, then old ones).
  double number_any(std::initializer_list<const char*> keys, double fallback) const {
    for (const char* k : keys) {
      if (present(k)) return number(k, fallback);
    }
    return fallback;
  }
  std::int64_t integer(const char* key, std::int64_t fallback) const {
    if (!present(key)) return fallback;
    const json& v = c_[key];
    if (v.is_array() && v.size() == 1 && v[0].is_number_integer()) return v[0].get<std::int64_t>();
    if (!v.is_number_integer()) fail(key, "must be an integer, got " + v.dump());
    return v.get<std::int64_t>();
  }
  bool boolean(const char* key, bool fallback) const {
    if (!present(key)) return fallback;
    if (!c_[key].is_boolean()) fail(key, "must be true or false, got " + c_[key].dump());
    return c_[key].get<bool>();
  }
  std::string string(const char* key, const std::string& fallback) const {
    if (!present(key)) return fallback;
    if (!c_[key].is_string()) fail(key, "must be a string, got " + c_[key].dump());
    return c_[key].get<std::string>();
  }
  std::optional<std::uint64_t> seed(const char* key) const {
    if (!present(key)) return std::nullopt;
    return static_cast<std::uint64_t>(integer(key, 0));
  }
  Size2 size2(const char* key, Size2 fallback) const {
    if (!present(key)) return fallback;
    const json& v = c_[key];
    if (v.is_number_integer()) return Size2(v.get<std::int64_t>());
    if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer()) {
      return Size2(v[0].get<std::int64_t>(), v[1].get<std::int64_t>());
    }
    fail(key, "must be an integer or a pair of integers, got " + v.dump());
  }
  Padding2D padding2d(const char* key, Padding2D fallback) const {
    if (!present(key)) return fallback;
    const json& v = c_[key];
    auto is_int = [](const json& x) { return x.is_number_integer(); };
    if (is_int(v)) return Padding2D(v.get<std::int64_t>());
    if (v.is_array() && v.size() == 2 && is_int(v[0]) && is_int(v[1])) {
      return Padding2D(v[0].get<std::int64_t>(), v[1].get<std::int64_t>());
    }
    if (v.is_array() && v.size() == 2 && v[0].is_array() && v[1].is_array() && v[0].size() == 2 &&
        v[1].size() == 2 && is_int(v[0][0]) && is_int(v[0][1]) && is_int(v[1][0]) && is_int(v[1][1])) {
      return Padding2D({v[0][0].get<std::int64_t>(), v[0][1].get<std::int64_t>()},
                       {v[1][0].get<std::int64_t>(), v[1][1].get<std::int64_t>()});
    }
    fail(key, "must be an integer, two integers or two pairs of integers, got " + v.dump());
  }
  std::string activation(const char* key) const {
    if (present(key) && !c_[key].is_string()) {
      fail(key, "must be the name of a built-in activation, got " + c_[key].dump() +
                    " (custom activations cannot be loaded)");
    }
    return string(key, "linear");
  }

  initializers::Initializer initializer(const char* key, const char* fallback) const {
    if (!present(key)) return fallback;
    const json& v = c_[key];
    try {
      if (v.is_string()) return initializers::Initializer(v.get<std::string>());
      if (!v.is_object() || !v.contains("class_name") || !v["class_name"].is_string()) {
        fail(key, "is not an initializer config: " + v.dump());
      }
      const std::string cls = v["class_name"].get<std::string>();
      const json cfg = v.contains("config") && v["config"].is_object() ? v["config"] : json::object();
      const ConfigArgs a(cfg, cls);
      const auto s = a.seed("seed");
      if (cls == "Zeros" || cls == "Ones") return initializers::Initializer(cls == "Zeros" ? "zeros" : "ones");
      if (cls == "Constant") return initializers::Constant(static_cast<float>(a.number("value", 0.0)));
      if (cls == "RandomUniform") {
        return initializers::RandomUniform({static_cast<float>(a.number("minval", -0.05)),
                                            static_cast<float>(a.number("maxval", 0.05)), s});
      }
      if (cls == "RandomNormal" || cls == "TruncatedNormal") {
        const initializers::RandomNormalOptions o{static_cast<float>(a.number("mean", 0.0)),
                                                  static_cast<float>(a.number("stddev", 0.05)), s};
        return cls == "RandomNormal" ? initializers::RandomNormal(o) : initializers::TruncatedNormal(o);
      }
      if (cls == "VarianceScaling") return variance_scaling(a, key);
      initializers::Initializer named(snake_case(cls));
      return initializers::Initializer(named.kind(), s);
    } catch (const ValueError& e) {
      if (std::string(e.what()).rfind(where_, 0) == 0) throw;
      fail(key, std::string("names an initializer kerascpp does not have: ") + e.what());
    }
  }
  regularizers::Regularizer regularizer(const char* key) const {
    if (!present(key)) return {};
    const json& v = c_[key];
    if (v.is_string()) return regularizers::Regularizer(v.get<std::string>());
    if (!v.is_object() || !v.contains("class_name")) fail(key, "is not a regularizer config: " + v.dump());
    const std::string cls = v["class_name"].is_string() ? v["class_name"].get<std::string>() : "";
    const json cfg = v.contains("config") && v["config"].is_object() ? v["config"] : json::object();
    const ConfigArgs a(cfg, cls);
    if (cls == "L1") return regularizers::L1(static_cast<float>(a.number("l1", 0.01)));
    if (cls == "L2") return regularizers::L2(static_cast<float>(a.number("l2", 0.01)));
    if (cls == "L1L2" || cls == "L1_L2") {
      return regularizers::L1L2(static_cast<float>(a.number("l1", 0.0)), static_cast<float>(a.number("l2", 0.0)));
    }
    fail(key, "names a regularizer kerascpp does not have: " + v.dump());
  }
  // Arguments kerascpp does not implement must be absent or null, or the loaded model would
  // silently differ from the saved one.
  void require_absent(std::initializer_list<const char*> keys) const {
    for (const char* k : keys) {
      if (present(k)) fail(k, "is not supported by kerascpp (got " + c_[k].dump() + "); remove it in Keras before saving");
    }
  }

 private:
  // Keras 2.0-2.2 wrote glorot_uniform and friends as VarianceScaling configs.
  initializers::Initializer variance_scaling(const ConfigArgs& a, const char* key) const {
    const double scale = a.number("scale", 1.0);
    const std::string mode = a.string("mode", "fan_in");
    std::string dist = a.string("distribution", "truncated_normal");
    if (dist == "normal") dist = "truncated_normal";  // Keras 2's "normal" is truncated
    const auto s = a.seed("seed");
    using Kind = initializers::Initializer::Kind;
    struct Known { double scale; const char* mode; const char* dist; Kind kind; };
    static const Known known[] = {
        {1.0, "fan_avg", "uniform", Kind::glorot_uniform}, {1.0, "fan_avg", "truncated_normal", Kind::glorot_normal},
        {2.0, "fan_in", "uniform", Kind::he_uniform},      {2.0, "fan_in", "truncated_normal", Kind::he_normal},
        {1.0, "fan_in", "uniform", Kind::lecun_uniform},   {1.0, "fan_in", "truncated_normal", Kind::lecun_normal},
    };
    for (const auto& k : known) {
      if (k.scale == scale && mode == k.mode && dist == k.dist) return initializers::Initializer(k.kind, s);
    }
    fail(key, "is a VarianceScaling(scale=" + std::to_string(scale) + ", mode=" + mode + ", distribution=" +
                  dist + ") that matches none of kerascpp's initializers");
  }

  const json& c_;
  std::string name_, where_;
};

using Factory = std::function<LayerPtr(const ConfigArgs&)>;

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"Dense", [](const ConfigArgs& a) -> LayerPtr {
         a.require_absent({"activity_regularizer", "kernel_constraint", "bias_constraint"});
         return Dense(a.integer("units", a.integer("output_dim", 0)),
                      {.activation = a.activation("activation"), .use_bias = a.boolean("use_bias", true),
                       .kernel_initializer = a.initializer("kernel_initializer", "glorot_uniform"),
                       .bias_initializer = a.initializer("bias_initializer", "zeros"),
                       .kernel_regularizer = a.regularizer("kernel_regularizer"),
                       .bias_regularizer = a.regularizer("bias_regularizer"), .name = a.name()});
       }},
      {"Conv2D", [](const ConfigArgs& a) -> LayerPtr {
         a.require_absent({"activity_regularizer", "kernel_constraint", "bias_constraint"});
         return Conv2D(a.integer("filters", 0), a.size2("kernel_size", 1),
                       {.strides = a.size2("strides", 1), .padding = a.string("padding", "valid"),
                        .data_format = a.string("data_format", "channels_last"),
                        .dilation_rate = a.size2("dilation_rate", 1), .groups = a.integer("groups", 1),
                        .activation = a.activation("activation"), .use_bias = a.boolean("use_bias", true),
                        .kernel_initializer = a.initializer("kernel_initializer", "glorot_uniform"),
                        .bias_initializer = a.initializer("bias_initializer", "zeros"),
                        .kernel_regularizer = a.regularizer("kernel_regularizer"),
                        .bias_regularizer = a.regularizer("bias_regularizer"), .name = a.name()});
       }},
      {"DepthwiseConv2D", [](const ConfigArgs& a) -> LayerPtr {
         a.require_absent({"activity_regularizer", "depthwise_constraint", "bias_constraint"});
         return DepthwiseConv2D(a.size2("kernel_size", 1),
                                {.strides = a.size2("strides", 1), .padding = a.string("padding", "valid"),
                                 .depth_multiplier = a.integer("depth_multiplier", 1),
                                 .data_format = a.string("data_format", "channels_last"),
                                 .dilation_rate = a.size2("dilation_rate", 1),
                                 .activation = a.activation("activation"), .use_bias = a.boolean("use_bias", true),
                                 .depthwise_initializer = a.initializer("depthwise_initializer", "glorot_uniform"),
                                 .bias_initializer = a.initializer("bias_initializer", "zeros"),
                                 .depthwise_regularizer = a.regularizer("depthwise_regularizer"),
                                 .bias_regularizer = a.regularizer("bias_regularizer"), .name = a.name()});
       }},
      {"SeparableConv2D", [](const ConfigArgs& a) -> LayerPtr {
         a.require_absent({"activity_regularizer", "depthwise_constraint", "pointwise_constraint", "bias_constraint"});
         return SeparableConv2D(
             a.integer("filters", 0), a.size2("kernel_size", 1),
             {.strides = a.size2("strides", 1), .padding = a.string("padding", "valid"),
              .data_format = a.string("data_format", "channels_last"), .dilation_rate = a.size2("dilation_rate", 1),
              .depth_multiplier = a.integer("depth_multiplier", 1), .activation = a.activation("activation"),
              .use_bias = a.boolean("use_bias", true),
              .depthwise_initializer = a.initializer("depthwise_initializer", "glorot_uniform"),
              .pointwise_initializer = a.initializer("pointwise_initializer", "glorot_uniform"),
              .bias_initializer = a.initializer("bias_initializer", "zeros"),
              .depthwise_regularizer = a.regularizer("depthwise_regularizer"),
              .pointwise_regularizer = a.regularizer("pointwise_regularizer"),
              .bias_regularizer = a.regularizer("bias_regularizer"), .name = a.name()});
       }},
      {"BatchNormalization", [](const ConfigArgs& a) -> LayerPtr {
         a.require_absent({"beta_constraint", "gamma_constraint", "renorm_clipping"});
         if (a.boolean("renorm", false)) a.fail("renorm", "is not supported by kerascpp");
         return BatchNormalization({.axis = static_cast<int>(a.integer("axis", -1)),
                                    .momentum = static_cast<float>(a.number("momentum", 0.99)),
                                    .epsilon = static_cast<float>(a.number("epsilon", 1e-3)),
                                    .center = a.boolean("center", true), .scale = a.boolean("scale", true),
                                    .beta_initializer = a.initializer("beta_initializer", "zeros"),
                                    .gamma_initializer = a.initializer("gamma_initializer", "ones"),
                                    .moving_mean_initializer = a.initializer("moving_mean_initializer", "zeros"),
                                    .moving_variance_initializer = a.initializer("moving_variance_initializer", "ones"),
                                    .beta_regularizer = a.regularizer("beta_regularizer"),
                                    .gamma_regularizer = a.regularizer("gamma_regularizer"), .name = a.name()});
       }},
      {"MaxPooling2D", [](const ConfigArgs& a) -> LayerPtr {
         const Size2 pool = a.size2("pool_size", 2);
         return MaxPooling2D(pool, {.strides = a.size2("strides", pool), .padding = a.string("padding", "valid"),
                                    .data_format = a.string("data_format", "channels_last"), .name = a.name()});
       }},
      {"AveragePooling2D", [](const ConfigArgs& a) -> LayerPtr {
         const Size2 pool = a.size2("pool_size", 2);
         return AveragePooling2D(pool, {.strides = a.size2("strides", pool), .padding = a.string("padding", "valid"),
                                        .data_format = a.string("data_format", "channels_last"), .name = a.name()});
       }},
      {"GlobalAveragePooling2D", [](const ConfigArgs& a) -> LayerPtr {
         return GlobalAveragePooling2D({.data_format = a.string("data_format", "channels_last"),
                                        .keepdims = a.boolean("keepdims", false), .name = a.name()});
       }},
      {"GlobalMaxPooling2D", [](const ConfigArgs& a) -> LayerPtr {
         return GlobalMaxPooling2D({.data_format = a.string("data_format", "channels_last"),
                                    .keepdims = a.boolean("keepdims", false), .name = a.name()});
       }},
      {"Dropout", [](const ConfigArgs& a) -> LayerPtr {
         std::optional<Shape> noise;
         if (a.present("noise_shape")) {
           const json& v = a.at("noise_shape");
           if (!v.is_array()) a.fail("noise_shape", "must be a list, got " + v.dump());
           std::vector<std::int64_t> dims;
           for (const auto& d : v) {
             if (!d.is_null() && !d.is_number_integer()) a.fail("noise_shape", "must hold integers or null");
             dims.push_back(d.is_null() ? -1 : d.get<std::int64_t>());
           }
           noise = Shape(dims);
         }
         return Dropout(static_cast<float>(a.number_any({"rate", "p"}, 0.5)),
                        {.noise_shape = noise, .seed = a.seed("seed"), .name = a.name()});
       }},
      {"SpatialDropout2D", [](const ConfigArgs& a) -> LayerPtr {
         return SpatialDropout2D(static_cast<float>(a.number_any({"rate", "p"}, 0.5)),
                                 {.data_format = a.string("data_format", "channels_last"), .seed = a.seed("seed"),
                                  .name = a.name()});
       }},
      {"Flatten", [](const ConfigArgs& a) -> LayerPtr {
         return Flatten({.data_format = a.string("data_format", "channels_last"), .name = a.name()});
       }},
      {"Activation", [](const ConfigArgs& a) -> LayerPtr {
         return Activation(a.activation("activation"), {.name = a.name()});
       }},
      {"ReLU", [](const ConfigArgs& a) -> LayerPtr {
         std::optional<float> max_value;
         if (a.present("max_value")) max_value = static_cast<float>(a.number("max_value", 0.0));
         return ReLU({.max_value = max_value, .negative_slope = static_cast<float>(a.number("negative_slope", 0.0)),
                      .threshold = static_cast<float>(a.number("threshold", 0.0)), .name = a.name()});
       }},
      {"LeakyReLU", [](const ConfigArgs& a) -> LayerPtr {
         return LeakyReLU({.negative_slope = static_cast<float>(a.number_any({"negative_slope", "alpha"}, 0.3)),
                           .name = a.name()});
       }},
      {"ELU", [](const ConfigArgs& a) -> LayerPtr {
         return ELU({.alpha = static_cast<float>(a.number("alpha", 1.0)), .name = a.name()});
       }},
      {"Softmax", [](const ConfigArgs& a) -> LayerPtr {
         return Softmax({.axis = static_cast<int>(a.integer("axis", -1)), .name = a.name()});
       }},
      {"Add", [](const ConfigArgs& a) -> LayerPtr { return Add({.name = a.name()}); }},
      {"Multiply", [](const ConfigArgs& a) -> LayerPtr { return Multiply({.name = a.name()}); }},
      {"Average", [](const ConfigArgs& a) -> LayerPtr { return Average({.name = a.name()}); }},
      {"Concatenate", [](const ConfigArgs& a) -> LayerPtr {
         return Concatenate({.axis = static_cast<int>(a.integer("axis", -1)), .name = a.name()});
       }},
      {"Reshape", [](const ConfigArgs& a) -> LayerPtr {
         const json& v = a.present("target_shape") ? a.at("target_shape") : json(nullptr);
         if (!v.is_array()) a.fail("target_shape", "must be a list of integers, got " + v.dump());
         std::vector<std::int64_t> dims;
         for (const auto& d : v) {
           if (!d.is_number_integer()) a.fail("target_shape", "must be a list of integers, got " + v.dump());
           dims.push_back(d.get<std::int64_t>());
         }
         return Reshape(Shape(dims), {.name = a.name()});
       }},
      {"ZeroPadding2D", [](const ConfigArgs& a) -> LayerPtr {
         return ZeroPadding2D(a.padding2d("padding", 1),
                              {.data_format = a.string("data_format", "channels_last"), .name = a.name()});
       }},
      {"Cropping2D", [](const ConfigArgs& a) -> LayerPtr {
         return Cropping2D(a.padding2d("cropping", 0),
                           {.data_format = a.string("data_format", "channels_last"), .name = a.name()});
       }},
      {"Rescaling", [](const ConfigArgs& a) -> LayerPtr {
         return Rescaling(static_cast<float>(a.number("scale", 1.0)),
                          {.offset = static_cast<float>(a.number("offset", 0.0)), .name = a.name()});
       }},
      {"Resizing", [](const ConfigArgs& a) -> LayerPtr {
         return Resizing(a.integer("height", 0), a.integer("width", 0),
                         {.interpolation = a.string("interpolation", "bilinear"),
                          .crop_to_aspect_ratio = a.boolean("crop_to_aspect_ratio", false),
                          .data_format = a.string("data_format", "channels_last"), .name = a.name()});
       }},
  };
  return table;
}

// The policy name a config's "dtype" gives: "float32", a Keras 2 Policy or a Keras 3 DTypePolicy.
std::string policy_name(const ConfigArgs& a) {
  if (!a.present("dtype")) return "float32";
  const json& v = a.at("dtype");
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("config") && v["config"].is_object() && v["config"].contains("name") &&
      v["config"]["name"].is_string()) {
    return v["config"]["name"].get<std::string>();
  }
  a.fail("dtype", "is not a dtype policy: " + v.dump());
}

// Sets the global policy for the lifetime of a layer's construction, as layers capture it then.
class ScopedPolicy {
 public:
  explicit ScopedPolicy(const std::string& name) : previous_(mixed_precision::global_policy()) {
    mixed_precision::set_global_policy(name);
  }
  ~ScopedPolicy() { mixed_precision::set_global_policy(previous_); }
  ScopedPolicy(const ScopedPolicy&) = delete;
  ScopedPolicy& operator=(const ScopedPolicy&) = delete;

 private:
  mixed_precision::DTypePolicy previous_;
};

}  // namespace

nlohmann::json layer_to_config(const layers::Layer& layer, ConfigStyle style) {
  json config = {{"name", layer.name()}, {"trainable", layer.trainable}, {"dtype", dtype_config(layer, style)}};
  if (const auto* input = dynamic_cast<const InputLayer*>(&layer)) {
    json shape = json::array();
    for (auto d : input->batch_shape()) shape.push_back(d < 0 ? json(nullptr) : json(d));
    config = {{style == ConfigStyle::keras2 ? "batch_input_shape" : "batch_shape", shape},
              {"dtype", "float32"}, {"sparse", false}, {"ragged", false}, {"name", layer.name()}};
  } else {
    config.update(class_config(layer, style));
    // Keras' SpatialDropout2D takes no `trainable` argument (its from_config rejects it).
    if (layer.class_name() == "SpatialDropout2D") config.erase("trainable");
  }
  return keras_object("keras.layers", layer.class_name(), config);
}

layers::LayerPtr layer_from_config(const std::string& class_name, const nlohmann::json& config) {
  const auto& table = factories();
  const auto it = table.find(class_name);
  if (it == table.end()) {
    std::string known;
    for (const auto& [name, _] : table) known += (known.empty() ? "" : ", ") + name;
    throw ValueError("unknown layer class '" + class_name + "'" +
                     (config.is_object() && config.contains("name") ? " (layer " + config["name"].dump() + ")" : "") +
                     ": kerascpp can load " + known + ", InputLayer");
  }
  const ConfigArgs args(config, class_name);
  const std::string policy = policy_name(args);
  std::optional<ScopedPolicy> scope;
  try {
    scope.emplace(policy);
  } catch (const ValueError& e) {
    args.fail("dtype", "names the policy '" + policy + "', which kerascpp does not have (" + e.what() + ")");
  }
  LayerPtr layer = it->second(args);
  layer->trainable = args.boolean("trainable", true);
  return layer;
}

std::optional<Shape> config_batch_shape(const nlohmann::json& config) {
  auto dims_of = [](const json& v, bool add_batch) -> std::optional<Shape> {
    if (!v.is_array()) return std::nullopt;
    std::vector<std::int64_t> dims;
    if (add_batch) dims.push_back(-1);
    for (const auto& d : v) {
      if (d.is_null()) {
        dims.push_back(-1);
      } else if (d.is_number_integer()) {
        dims.push_back(d.get<std::int64_t>());
      } else {
        throw ValueError("input shape " + v.dump() + " holds something other than integers and null");
      }
    }
    return Shape(dims);
  };
  if (!config.is_object()) return std::nullopt;
  for (const char* key : {"batch_shape", "batch_input_shape"}) {
    if (config.contains(key) && !config[key].is_null()) return dims_of(config[key], false);
  }
  if (config.contains("input_shape") && !config["input_shape"].is_null()) return dims_of(config["input_shape"], true);
  return std::nullopt;
}

}  // namespace keras::internal
