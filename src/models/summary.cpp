// Model::summary: Keras 3's table (rich's box drawing, Keras' column positions).
#include <algorithm>
#include <map>
#include <sstream>

#include "keras/models/model.hpp"
#include "model_state.hpp"

namespace keras {

namespace {

using Node = layers::internal::GraphNode;

std::string with_commas(std::int64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Keras' readable_memory_size: 1024-based units with two decimals.
std::string memory_size(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (bytes / 1024.0 >= 1.0 && u < 5) {
    bytes /= 1024.0;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %s", bytes, units[u]);
  return buf;
}

std::int64_t count(const std::vector<VariablePtr>& vars) {
  std::int64_t n = 0;
  for (const auto& v : vars) n += v->shape().num_elements();
  return n;
}

// Greedy word wrap of one cell into lines of at most `width` characters.
std::vector<std::string> wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string word, line;
  while (words >> word) {
    while (word.size() > width) {  // a word longer than the column is cut
      if (!line.empty()) lines.push_back(line), line.clear();
      lines.push_back(word.substr(0, width));
      word = word.substr(width);
    }
    if (line.empty()) line = word;
    else if (line.size() + 1 + word.size() <= width) line += " " + word;
    else lines.push_back(line), line = word;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

class Table {
 public:
  Table(std::vector<std::string> header, std::vector<bool> right_aligned,
        std::vector<double> positions, int line_length)
      : header_(std::move(header)), right_(std::move(right_aligned)) {
    // Keras gives each column int(position * line_length) minus the previous ones; the box
    // borders then come out of the columns in proportion, leaving line_length in all.
    std::vector<int> widths;
    int previous = 0;
    for (double p : positions) {
      const int edge = static_cast<int>(p * line_length);
      widths.push_back(edge - previous);
      previous = edge;
    }
    const int available = line_length - static_cast<int>(widths.size()) - 1;
    int used = 0;
    for (int w : widths) {
      segments_.push_back(w * available / line_length);
      used += segments_.back();
    }
    for (std::size_t i = 0; used < available; i = (i + 1) % segments_.size(), ++used) ++segments_[i];
  }

  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

  void print(std::ostream& os) const {
    rule(os, "┏", "━", "┳", "┓");
    print_row(os, header_, "┃");
    rule(os, "┡", "━", "╇", "┩");
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      if (r) rule(os, "├", "─", "┼", "┤");
      print_row(os, rows_[r], "│");
    }
    rule(os, "└", "─", "┴", "┘");
  }

 private:
  void rule(std::ostream& os, const char* left, const char* fill, const char* join,
            const char* right) const {
    os << left;
    for (std::size_t c = 0; c < segments_.size(); ++c) {
      os << repeat(fill, static_cast<std::size_t>(segments_[c])) << (c + 1 < segments_.size() ? join : right);
    }
    os << "\n";
  }

  void print_row(std::ostream& os, const std::vector<std::string>& cells, const char* bar) const {
    std::vector<std::vector<std::string>> lines;
    std::size_t height = 1;
    for (std::size_t c = 0; c < segments_.size(); ++c) {
      lines.push_back(wrap(cells[c], static_cast<std::size_t>(segments_[c] - 2)));
      height = std::max(height, lines.back().size());
    }
    for (std::size_t h = 0; h < height; ++h) {
      os << bar;
      for (std::size_t c = 0; c < segments_.size(); ++c) {
        const std::string text = h < lines[c].size() ? lines[c][h] : "";
        const std::string pad(static_cast<std::size_t>(segments_[c] - 2) - text.size(), ' ');
        os << ' ' << (right_[c] ? pad + text : text + pad) << ' ' << bar;
      }
      os << "\n";
    }
  }

  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<int> segments_;
  std::vector<std::vector<std::string>> rows_;
};

// Keras draws a plain three-column table for chains and adds "Connected to" otherwise.
bool sequential_like(const internal::ModelState& st) {
  if (st.class_name == "Sequential") return true;
  std::map<const Node*, int> consumers;
  std::map<const layers::Layer*, int> calls;
  int sources = 0;
  for (const auto& n : st.nodes) {
    if (n->inputs.size() > 1 || ++calls[n->layer.get()] > 1) return false;
    if (n->inputs.empty()) ++sources;
    for (const auto& in : n->inputs) {
      if (++consumers[in.node().get()] > 1) return false;
    }
  }
  return sources == 1 && st.outputs.size() == 1;
}

}  // namespace

void Model::summary(std::ostream& os, int line_length) const {
  const auto& st = state();
  const bool chain = sequential_like(st);
  if (line_length <= 0) line_length = chain ? 88 : 108;
  Table table = chain ? Table({"Layer (type)", "Output Shape", "Param #"}, {false, false, true},
                              {0.45, 0.80, 1.0}, line_length)
                      : Table({"Layer (type)", "Output Shape", "Param #", "Connected to"},
                              {false, false, true, false}, {0.3, 0.56, 0.74, 1.0}, line_length);

  // Each layer's calls in graph order: a call's index names it in "Connected to".
  std::map<const layers::Layer*, std::vector<const Node*>> calls;
  if (st.built) {
    for (const auto& n : st.nodes) calls[n->layer.get()].push_back(n.get());
  }
  auto call_index = [&](const Node* n) {
    const auto& v = calls[n->layer.get()];
    return std::find(v.begin(), v.end(), n) - v.begin();
  };

  std::vector<layers::LayerPtr> rows;
  if (st.class_name == "Sequential") {
    rows = st.sequential_layers;
  } else {
    rows = internal::keras_layer_order(st, /*with_inputs=*/true);
  }
  for (const auto& layer : rows) {
    const auto& nodes = calls[layer.get()];
    std::vector<std::string> cells{layer->name() + " (" + layer->class_name() + ")",
                                   nodes.empty() ? "?" : to_string(nodes.back()->output_shape),
                                   layer->built() ? with_commas(layer->count_params())
                                                  : "0 (unbuilt)"};
    if (!chain) {
      std::string connected;
      for (const Node* n : nodes) {
        for (const auto& in : n->inputs) {
          connected += (connected.empty() ? "" : ", ") + in.node()->layer->name() + "[" +
                       std::to_string(call_index(in.node().get())) + "][0]";
        }
      }
      cells.push_back(connected.empty() ? "-" : connected);
    }
    table.add_row(std::move(cells));
  }

  const std::int64_t trainable = count(trainable_weights());
  const std::int64_t frozen = count(non_trainable_weights());
  const double bytes_per_param = 4.0;  // float32 variables
  os << "Model: \"" << st.name << "\"\n";
  table.print(os);
  os << " Total params: " << with_commas(trainable + frozen) << " ("
     << memory_size(static_cast<double>(trainable + frozen) * bytes_per_param) << ")\n";
  os << " Trainable params: " << with_commas(trainable) << " ("
     << memory_size(static_cast<double>(trainable) * bytes_per_param) << ")\n";
  os << " Non-trainable params: " << with_commas(frozen) << " ("
     << memory_size(static_cast<double>(frozen) * bytes_per_param) << ")\n";
}

}  // namespace keras
