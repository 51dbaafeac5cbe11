#include "model_config.hpp"

#include <map>
#include <set>

#include "keras/layers/input_layer.hpp"
#include "keras/models/nested_model.hpp"
#include "keras/models/sequential.hpp"

namespace keras::internal {

using nlohmann::json;
using layers::KerasTensor;
using layers::LayerPtr;
using GraphNode = layers::internal::GraphNode;

namespace {

json shape_json(const Shape& shape) {
  json dims = json::array();
  for (auto d : shape) dims.push_back(d < 0 ? json(nullptr) : json(d));
  return dims;
}

// One layer entry of a model config: Keras 3 keeps module and registered_name, Keras 2 only
// class_name and config.
json layer_entry(const layers::Layer& layer, ConfigStyle style) {
  json entry = layer_to_config(layer, style);
  if (style == ConfigStyle::keras2) entry = {{"class_name", entry["class_name"]}, {"config", entry["config"]}};
  return entry;
}

json sequential_config(const ModelState& st, ConfigStyle style) {
  json layer_list = json::array();
  if (st.sequential_input) layer_list.push_back(layer_entry(*st.sequential_input->node()->layer, style));
  for (const auto& l : st.sequential_layers) layer_list.push_back(layer_entry(*l, style));
  json config = {{"name", st.name}, {"layers", layer_list}};
  if (style == ConfigStyle::keras3 || !st.trainable) {
    config["trainable"] = st.trainable;
    if (st.sequential_input) config["build_input_shape"] = shape_json(st.sequential_input->shape());
  }
  return config;
}

json functional_config(const ModelState& st, ConfigStyle style) {
  // Keras numbers a layer's calls (nodes) in the order they were made; the graph lists them so.
  std::map<const GraphNode*, int> node_index;
  std::map<const layers::Layer*, std::vector<const GraphNode*>> nodes_of;
  for (const auto& n : st.nodes) {
    auto& calls = nodes_of[n->layer.get()];
    node_index[n.get()] = static_cast<int>(calls.size());
    calls.push_back(n.get());
  }
  // tf.keras counts a nested model's own construction as its node 0, so its calls in a Keras 2
  // config are numbered from 1 (functional.py, _should_skip_first_node); Keras 3 does not.
  auto history = [&](const KerasTensor& t) {
    const bool nested = dynamic_cast<const NestedModel*>(t.node()->layer.get()) != nullptr;
    return json::array({t.name(), node_index.at(t.node().get()) + (nested && style == ConfigStyle::keras2 ? 1 : 0), 0});
  };
  json layer_list = json::array();
  for (const auto& l : keras_layer_order(st, /*with_inputs=*/true)) {
    json entry = layer_entry(*l, style);
    entry["name"] = l->name();
    json inbound = json::array();
    for (const GraphNode* n : nodes_of[l.get()]) {
      if (n->inputs.empty()) continue;
      if (style == ConfigStyle::keras2) {
        json node = json::array();
        for (const auto& t : n->inputs) {
          json ref = history(t);
          ref.push_back(json::object());
          node.push_back(ref);
        }
        inbound.push_back(node);
      } else {
        json args = json::array();
        for (const auto& t : n->inputs) {
          args.push_back({{"class_name", "__keras_tensor__"},
                          {"config", {{"shape", shape_json(t.shape())}, {"dtype", "float32"}, {"keras_history", history(t)}}}});
        }
        inbound.push_back({{"args", n->inputs.size() == 1 ? args : json::array({args})}, {"kwargs", json::object()}});
      }
    }
    entry["inbound_nodes"] = inbound;
    layer_list.push_back(entry);
  }
  json ins = json::array(), outs = json::array();
  for (const auto& t : st.inputs) ins.push_back(history(t));
  for (const auto& t : st.outputs) outs.push_back(history(t));
  json config = {{"name", st.name}, {"trainable", st.trainable}, {"layers", layer_list}, {"input_layers", ins},
                 {"output_layers", outs}};
  return config;
}

// --- reading -------------------------------------------------------------------------------

const json& member(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw ValueError(where + " has no '" + key + "' entry");
  }
  return object[key];
}

std::string string_member(const json& object, const char* key, const std::string& where) {
  const json& v = member(object, key, where);
  if (!v.is_string()) throw ValueError(where + ": '" + key + "' must be a string, got " + v.dump());
  return v.get<std::string>();
}

// An Input for a batch shape whose first axis is None (-1) or a fixed batch size.
// Keras 3 names a custom class by registered_name ("package>Class") beside its class_name.
std::string registered_name(const json& entry, const std::string& class_name) {
  const auto it = entry.find("registered_name");
  return it != entry.end() && it->is_string() && it->get<std::string>().find('>') != std::string::npos
             ? it->get<std::string>()
             : class_name;
}

KerasTensor input_of_batch_shape(const Shape& batch_shape, const std::string& name) {
  std::optional<std::int64_t> batch;
  if (batch_shape[0] >= 0) batch = batch_shape[0];
  return layers::Input(batch_shape.without_batch(), {.batch_size = batch, .name = name});
}

KerasTensor make_input(const json& config, const std::string& where) {
  const auto batch_shape = config_batch_shape(config);
  if (!batch_shape || batch_shape->rank() < 1) {
    throw ValueError(where + ": InputLayer config has no batch_shape / batch_input_shape");
  }
  if (config.contains("dtype") && config["dtype"].is_string() && config["dtype"] != "float32") {
    throw ValueError(where + ": InputLayer dtype " + config["dtype"].dump() + " is not supported (float32 only)");
  }
  const std::string name = config.contains("name") && config["name"].is_string() ? config["name"].get<std::string>() : "";
  return input_of_batch_shape(*batch_shape, name);
}

Model sequential_from_config(const json& config) {
  // Keras 2.0-2.2 wrote a Sequential's config as the bare list of its layers.
  const json& entries = config.is_array() ? config : member(config, "layers", "Sequential config");
  if (!entries.is_array()) throw ValueError("Sequential config: 'layers' must be a list");
  const std::string name =
      config.is_object() && config.contains("name") && config["name"].is_string() ? config["name"].get<std::string>() : "";
  Sequential model({}, name);
  bool has_input = false;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string where = "Sequential config, layer " + std::to_string(i);
    const std::string cls = string_member(entries[i], "class_name", where);
    const json& cfg = member(entries[i], "config", where);
    if (cls == "InputLayer") {
      if (i != 0) throw ValueError(where + ": an InputLayer may only come first");
      model.add(make_input(cfg, where));
      has_input = true;
      continue;
    }
    if (i == 0) {
      // Keras 2 without an InputLayer: the first layer carries batch_input_shape.
      if (const auto shape = config_batch_shape(cfg)) {
        model.add(input_of_batch_shape(*shape, ""));
        has_input = true;
      }
    }
    model.add(layer_from_config(registered_name(entries[i], cls), cfg));
  }
  if (!has_input) {
    const auto shape = config.is_object() && config.contains("build_input_shape")
                           ? config_batch_shape({{"batch_shape", config["build_input_shape"]}})
                           : std::nullopt;
    if (!shape) {
      throw ValueError("Sequential '" + name + "' was saved unbuilt (no InputLayer, batch_input_shape or "
                       "build_input_shape): kerascpp loads built models only; call the model once in Keras before saving");
    }
    model.build(*shape);
  }
  return model;
}

// A tensor reference [layer_name, node_index, tensor_index] (Keras 2, with a fourth kwargs entry)
// or Keras 3's {"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}.
struct TensorRef {
  std::string layer;
  int node = 0;
};

TensorRef tensor_ref(const json& v, const std::string& where) {
  const json* history = &v;
  if (v.is_object()) {
    if (!v.contains("config") || !v["config"].is_object() || !v["config"].contains("keras_history")) {
      throw ValueError(where + ": inbound tensor without keras_history: " + v.dump());
    }
    history = &v["config"]["keras_history"];
  }
  const json& h = *history;
  if (!h.is_array() || h.size() < 3 || !h[0].is_string() || !h[1].is_number_integer() || !h[2].is_number_integer()) {
    throw ValueError(where + ": malformed tensor reference " + h.dump());
  }
  if (h[2].get<int>() != 0) {
    throw ValueError(where + ": refers to output " + h[2].dump() + " of layer " + h[0].dump() +
                     "; kerascpp layers have a single output");
  }
  return {h[0].get<std::string>(), h[1].get<int>()};
}

// The input references of one inbound node in either Keras 2's or Keras 3's spelling.
std::vector<TensorRef> node_inputs(const json& node, const std::string& where) {
  std::vector<TensorRef> refs;
  if (node.is_array()) {  // Keras 2: [[name, node, tensor, kwargs], ...]
    for (const auto& r : node) refs.push_back(tensor_ref(r, where));
    return refs;
  }
  const json& args = member(node, "args", where);
  if (!args.is_array() || args.empty()) throw ValueError(where + ": inbound node without args");
  const json& first = args[0];
  if (first.is_array()) {  // merge layers take a list of tensors
    for (const auto& r : first) refs.push_back(tensor_ref(r, where));
  } else {
    for (const auto& r : args) {
      if (r.is_object() && r.value("class_name", "") == "__keras_tensor__") refs.push_back(tensor_ref(r, where));
    }
  }
  return refs;
}

// input_layers / output_layers: a list of references, or (Keras 3, one tensor) a single one.
std::vector<TensorRef> endpoint_refs(const json& v, const std::string& where) {
  if (v.is_array() && !v.empty() && v[0].is_string()) return {tensor_ref(v, where)};
  if (!v.is_array()) throw ValueError(where + " must be a list of tensor references");
  std::vector<TensorRef> refs;
  for (const auto& r : v) refs.push_back(tensor_ref(r, where));
  return refs;
}

Model functional_from_config(const json& config) {
  const json& entries = member(config, "layers", "Functional config");
  if (!entries.is_array()) throw ValueError("Functional config: 'layers' must be a list");
  struct Pending {
    LayerPtr layer;
    std::vector<json> nodes;
    std::size_t done = 0;
    std::string where;
  };
  std::vector<Pending> pending;
  std::map<std::string, std::vector<KerasTensor>> outputs;  // per layer, per node
  std::set<std::string> names;
  // Nested models of a Keras 2 config, whose node numbers start at 1 (see functional_config).
  // Keras 2 writes each inbound node as a list of references, Keras 3 as {"args", "kwargs"}.
  std::set<std::string> numbered_from_one;
  bool keras2 = false;
  for (const auto& e : entries) {
    if (!e.is_object() || !e.contains("inbound_nodes") || !e["inbound_nodes"].is_array()) continue;
    for (const auto& n : e["inbound_nodes"]) keras2 = keras2 || n.is_array();
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const json& e = entries[i];
    std::string where = "Functional config, layer " + std::to_string(i);
    const std::string cls = string_member(e, "class_name", where);
    const json& cfg = member(e, "config", where);
    const std::string name = e.contains("name") && e["name"].is_string() ? e["name"].get<std::string>()
                                                                          : string_member(cfg, "name", where);
    where += " '" + name + "'";
    if (!names.insert(name).second) throw ValueError(where + ": two layers share the name '" + name + "'");
    if (cls == "InputLayer") {
      outputs[name].push_back(make_input(cfg, where));
      continue;
    }
    const bool model_with_input = (cls == "Functional" || cls == "Model" || cls == "Sequential") && cfg.is_object() &&
                                  cfg.contains("layers") && cfg["layers"].is_array() && !cfg["layers"].empty() &&
                                  cfg["layers"][0].value("class_name", "") == "InputLayer";
    if (keras2 && model_with_input) numbered_from_one.insert(name);
    Pending p{layer_from_config(registered_name(e, cls), cfg), {}, 0, where};
    if (e.contains("inbound_nodes")) {
      if (!e["inbound_nodes"].is_array()) throw ValueError(where + ": inbound_nodes must be a list");
      for (const auto& n : e["inbound_nodes"]) p.nodes.push_back(n);
    }
    pending.push_back(std::move(p));
  }
  auto node_of = [&](const TensorRef& r) { return r.node - (numbered_from_one.count(r.layer) ? 1 : 0); };
  // Call layers as their inputs become available (Keras' deserialization does the same).
  for (bool progress = true; progress;) {
    progress = false;
    for (auto& p : pending) {
      while (p.done < p.nodes.size()) {
        const auto refs = node_inputs(p.nodes[p.done], p.where);
        std::vector<KerasTensor> inputs;
        for (const auto& r : refs) {
          const auto it = outputs.find(r.layer);
          const int node = node_of(r);
          if (it == outputs.end() || node < 0 || static_cast<std::size_t>(node) >= it->second.size()) break;
          inputs.push_back(it->second[static_cast<std::size_t>(node)]);
        }
        if (inputs.size() != refs.size() || refs.empty()) break;
        outputs[p.layer->name()].push_back((*p.layer)(inputs));
        ++p.done;
        progress = true;
      }
    }
  }
  for (const auto& p : pending) {
    if (p.done < p.nodes.size()) {
      throw ValueError(p.where + ": its inbound node " + std::to_string(p.done) + " refers to tensors that no layer "
                       "of the config produces (" + p.nodes[p.done].dump() + ")");
    }
  }
  auto resolve = [&](const char* key) {
    std::vector<KerasTensor> ts;
    for (const auto& r : endpoint_refs(member(config, key, "Functional config"), std::string("Functional config ") + key)) {
      const auto it = outputs.find(r.layer);
      const int node = node_of(r);
      if (it == outputs.end() || node < 0 || static_cast<std::size_t>(node) >= it->second.size()) {
        throw ValueError(std::string("Functional config: ") + key + " names layer '" + r.layer + "' node " +
                         std::to_string(r.node) + ", which the config does not make");
      }
      ts.push_back(it->second[static_cast<std::size_t>(node)]);
    }
    return ts;
  };
  const std::string name = config.contains("name") && config["name"].is_string() ? config["name"].get<std::string>() : "";
  return Model(resolve("input_layers"), resolve("output_layers"), name);
}

}  // namespace

nlohmann::json model_to_config(const ModelState& st, ConfigStyle style) {
  if (!st.built) {
    throw ValueError("cannot save model '" + st.name + "' before it is built: give it an Input or call it on data first");
  }
  const bool sequential = st.class_name == "Sequential";
  json doc = {{"class_name", sequential ? "Sequential" : "Functional"},
              {"config", sequential ? sequential_config(st, style) : functional_config(st, style)}};
  if (style == ConfigStyle::keras3) {
    doc["module"] = sequential ? "keras" : "keras.src.models.functional";
    doc["registered_name"] = sequential ? json(nullptr) : json("Functional");
  }
  return doc;
}

Model model_from_config(const nlohmann::json& doc) {
  const std::string cls = string_member(doc, "class_name", "model config");
  const json& config = member(doc, "config", "model config");
  if (cls != "Sequential" && cls != "Functional" && cls != "Model") {
    throw ValueError("model config: unknown model class '" + cls + "' (kerascpp reads Sequential, Functional and Model)");
  }
  Model model = cls == "Sequential" ? sequential_from_config(config) : functional_from_config(config);
  // A model saved frozen (a nested base with trainable = False) comes back frozen.
  if (config.is_object() && config.contains("trainable") && config["trainable"] == false) model.set_trainable(false);
  return model;
}

}  // namespace keras::internal
