#include "image_classifier.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <sstream>

namespace apps {

using namespace keras;

const std::string& AppOptions::flag(const std::string& name, const std::string& fallback) const {
  const auto it = common.extra.find(name);
  return it == common.extra.end() ? fallback : it->second;
}

namespace {

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  std::exit(2);
}

datasets::Split first_rows(const datasets::Split& split, std::int64_t limit) {
  const std::int64_t n = limit > 0 ? std::min(limit, split.x.dim(0)) : split.x.dim(0);
  return {split.x.slice(0, n), split.y.slice(0, n)};
}

// Fashion-MNIST's (n, 28, 28) images as (n, 32, 32, 3): 2 black pixels on every side, the
// gray level repeated in the three channels.
Tensor as_cifar_shaped(const Tensor& images) {
  const std::int64_t n = images.dim(0);
  const std::vector<std::uint8_t> gray = images.to_vector<std::uint8_t>();
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(n * 32 * 32 * 3), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t r = 0; r < 28; ++r) {
      for (std::int64_t c = 0; c < 28; ++c) {
        const std::uint8_t v = gray[static_cast<std::size_t>((i * 28 + r) * 28 + c)];
        for (std::int64_t ch = 0; ch < 3; ++ch) rgb[static_cast<std::size_t>(((i * 32 + r + 2) * 32 + c + 2) * 3 + ch)] = v;
      }
    }
  }
  return Tensor::from_vector(rgb, {n, 32, 32, 3});
}

// numpy's abbreviated print of a large integer matrix, as seed 004 shows its confusion matrix.
std::string numpy_style(const std::vector<std::int32_t>& m, std::int64_t n, bool abbreviate) {
  const bool cut = abbreviate && n > 6;
  std::vector<std::int64_t> shown;
  for (std::int64_t i = 0; i < n; ++i) {
    if (!cut || i < 3 || i >= n - 3) shown.push_back(i);
  }
  int width = 1;
  for (std::int64_t r : shown) {
    for (std::int64_t c : shown) width = std::max(width, static_cast<int>(std::to_string(m[static_cast<std::size_t>(r * n + c)]).size()));
  }
  std::ostringstream os;
  for (std::size_t a = 0; a < shown.size(); ++a) {
    if (cut && a == 3) os << " ...\n";
    os << (a == 0 ? "[[" : " [");
    for (std::size_t b = 0; b < shown.size(); ++b) {
      if (cut && b == 3) os << " ...";
      os << (b == 0 ? "" : " ") << std::setw(width) << m[static_cast<std::size_t>(shown[a] * n + shown[b])];
    }
    os << (a + 1 == shown.size() ? "]]" : "]") << "\n";
  }
  return os.str();
}

std::string top5_line(const utils::TopK::Row& row) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(4);
  for (std::size_t i = 0; i < row.size(); ++i) os << (i ? ", " : " ") << row[i].first << " " << row[i].second;
  return os.str();
}

std::string file_safe(std::string name) {
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

}  // namespace

AppOptions parse_app_args(int argc, char** argv, const AppInfo& info) {
  std::map<std::string, FlagSpec> flags = {
      {"data", "DIR       the dataset's folder (either official CIFAR version; default: where load_data looks)"},
      {"dataset", "NAME   cifar100 | cifar10 | fashion_mnist (padded to 32x32, 3 channels; default cifar100)"},
      {"label-mode", "M   fine | coarse (CIFAR-100's 100 classes or 20 superclasses; default fine)"},
      {"epochs", ("N       training epochs (default " + std::to_string(info.default_epochs) +
                  "); 0 with --weights only evaluates").c_str()},
      {"limit", "N        only the first N training and N test images (quick runs)"},
      {"seed", "N         keras::utils::set_random_seed(N) before the model is built"},
      {"out", ("DIR        best checkpoint, history.csv/svg, confusion_matrix.svg, report.txt (default " +
               info.program + "_out)").c_str()},
      {"summary", {"           print the model summary and stop", FlagKind::switch_flag}},
      {"weights", "FILE    weights to load before training or evaluating (.keras, .weights.h5, .h5)"},
      {"predict", {"IMAGE...  the top-5 classes of these image files after training", FlagKind::list}},
  };
  for (const auto& [name, spec] : info.flags) flags.insert_or_assign(name, spec);
  AppOptions o;
  o.common = parse_args(argc, argv, info.program + ": " + info.document, flags);
  o.epochs = info.default_epochs;
  o.batch_size = o.common.batch_size > 0 ? o.common.batch_size : info.default_batch_size;
  o.data = o.flag("data", "");
  o.dataset = o.flag("dataset", "cifar100");
  o.label_mode = o.flag("label-mode", "fine");
  if (o.dataset != "cifar100" && o.dataset != "cifar10" && o.dataset != "fashion_mnist") {
    fail("--dataset must be cifar100, cifar10 or fashion_mnist, got '" + o.dataset + "'");
  }
  if (o.label_mode != "fine" && o.label_mode != "coarse") fail("--label-mode must be fine or coarse, got '" + o.label_mode + "'");
  if (o.label_mode == "coarse" && o.dataset != "cifar100") fail("--label-mode coarse is CIFAR-100's; drop it for " + o.dataset);
  if (o.common.extra.count("epochs")) o.epochs = static_cast<int>(parse_positive("--epochs", o.common.extra.at("epochs"), true));
  if (o.common.extra.count("limit")) o.limit = parse_positive("--limit", o.common.extra.at("limit"));
  if (o.common.extra.count("seed")) o.seed = static_cast<std::uint32_t>(parse_positive("--seed", o.common.extra.at("seed"), true));
  o.out = o.flag("out", info.program + "_out");
  o.summary = o.common.switches.count("summary") > 0;
  o.weights = o.flag("weights", "");
  if (o.common.lists.count("predict")) o.predict = o.common.lists.at("predict");
  select_backend(o.common);
  if (o.seed) utils::set_random_seed(*o.seed);
  if (!o.summary) {
    std::error_code error;
    std::filesystem::create_directories(std::filesystem::path(o.out) / "test_images", error);
    if (error) fail("cannot create the output folder '" + o.out + "' (" + error.message() + "); pass --out DIR");
  }
  return o;
}

ImageData load_image_data(const AppOptions& o) {
  ImageData data;
  datasets::TrainTest raw;
  if (o.dataset == "cifar100") {
    datasets::cifar100::LoadOptions load{.label_mode = o.label_mode, .path = o.data};
    raw = datasets::cifar100::load_data(load);
    data.class_names = datasets::cifar100::class_names(load);
    data.name = "CIFAR-100 (" + o.label_mode + " labels)";
  } else if (o.dataset == "cifar10") {
    datasets::cifar10::LoadOptions load{.path = o.data};
    raw = datasets::cifar10::load_data(load);
    data.class_names = datasets::cifar10::class_names(load);
    data.name = "CIFAR-10";
  } else {
    datasets::fashion_mnist::LoadOptions load;
    if (!o.data.empty()) load.path = o.data;
    raw = datasets::fashion_mnist::load_data(load);
    raw.train.x = as_cifar_shaped(raw.train.x);
    raw.test.x = as_cifar_shaped(raw.test.x);
    data.class_names = datasets::fashion_mnist::class_names();
    data.name = "Fashion-MNIST (padded to 32x32x3)";
  }
  const auto train = first_rows(raw.train, o.limit), test = first_rows(raw.test, o.limit);
  data.x_train = train.x.astype(float32) / 255.0f;
  data.x_test = test.x.astype(float32) / 255.0f;
  data.x_test_pixels = test.x;
  data.y_train = train.y.astype(int32).reshape({train.y.dim(0), 1});
  data.y_test = test.y.astype(int32).reshape({test.y.dim(0), 1});
  std::cout << data.name << ": " << data.x_train.dim(0) << " training and " << data.x_test.dim(0) << " test images, "
            << data.num_classes() << " classes\n";
  return data;
}

std::shared_ptr<callbacks::ModelCheckpointCallback> best_checkpoint(const AppOptions& o, std::optional<double> best_so_far) {
  return callbacks::ModelCheckpoint((std::filesystem::path(o.out) / "best.keras").string(),
                                    {.monitor = "val_loss", .verbose = 1, .save_best_only = true,
                                     .initial_value_threshold = best_so_far});
}

callbacks::CallbackPtr history_csv(const AppOptions& o, bool append) {
  return callbacks::CSVLogger((std::filesystem::path(o.out) / "history.csv").string(), {.append = append});
}

void append_history(callbacks::History& total, const callbacks::History& part) {
  total.epoch.insert(total.epoch.end(), part.epoch.begin(), part.epoch.end());
  for (const auto& [key, values] : part.history) {
    auto& into = total.history[key];
    into.insert(into.end(), values.begin(), values.end());
  }
}

void load_weights_if_asked(Model& model, const AppOptions& o) {
  if (!o.weights.empty()) {
    model.load_weights(o.weights);
    std::cout << "weights: " << o.weights << "\n";
  } else if (o.epochs == 0) {
    std::cout << "note: --epochs 0 without --weights evaluates the untrained model\n";
  }
}

void report(Model& model, const AppOptions& o, const ImageData& data, const ReportOptions& r) {
  const std::filesystem::path out(o.out);
  const auto scores = model.evaluate(r.x_test, r.y_test, {.verbose = 0});
  std::string accuracy_key;
  for (const auto& [key, value] : scores) {
    if (key != "loss") accuracy_key = key;
  }
  std::ostringstream scores_line;
  scores_line << std::setprecision(6) << "test loss: " << scores.at("loss");
  if (!accuracy_key.empty()) scores_line << " - test accuracy: " << scores.at(accuracy_key);
  std::cout << scores_line.str() << "\n";

  const Tensor probabilities = model.predict(r.x_test, {.verbose = 0});
  const std::int64_t k = data.num_classes();
  const Tensor matrix = utils::confusion_matrix(data.y_test, probabilities, k);
  const std::vector<std::int32_t> counts = matrix.to_vector<std::int32_t>();
  const std::string text_report = utils::classification_report(data.y_test, probabilities, {.target_names = data.class_names});
  std::cout << "\nconfusion matrix (rows: true classes, columns: predicted):\n" << numpy_style(counts, k, true);
  // The classification report: every class in report.txt, the first ten here, as seed 004 shows.
  std::istringstream lines(text_report);
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  std::cout << "\nclassification report" << (k > 10 ? " (first 10 classes; all in report.txt)" : "") << ":\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (k <= 10 || i < 12 || i + 4 >= rows.size()) std::cout << rows[i] << "\n";
    else if (i == 12) std::cout << "   ...\n";
  }

  std::ostringstream file;
  file << "dataset: " << data.name << ", " << data.x_train.dim(0) << " training and " << data.x_test.dim(0)
       << " test images\nweights: " << (o.weights.empty() ? "trained by this run" : o.weights) << "\n"
       << scores_line.str() << "\n\nconfusion matrix (rows: true classes, columns: predicted):\n"
       << numpy_style(counts, k, false) << "\nclassification report:\n" << text_report;
  utils::write_file_atomically((out / "report.txt").string(), file.str());
  utils::plot_confusion_matrix(matrix, (out / "confusion_matrix.svg").string(),
                               {.title = r.title + ": confusion matrix", .class_names = data.class_names});
  if (r.history != nullptr && !r.history->epoch.empty()) {
    utils::plot_history(*r.history, (out / "history.svg").string(), {.title = r.title});
  }

  // Seed 004 shows test images with their true and predicted labels, then new images' top 5.
  const std::int64_t shown = std::min<std::int64_t>(3, data.x_test.dim(0));
  const auto top = utils::top_k(probabilities.slice(0, shown), 5, data.class_names);
  const std::vector<std::int32_t> truth = data.y_test.to_vector<std::int32_t>();
  for (std::int64_t i = 0; i < shown; ++i) {
    const std::string& name = data.class_names[static_cast<std::size_t>(truth[static_cast<std::size_t>(i)])];
    const std::filesystem::path png = out / "test_images" / ("test_" + std::to_string(i) + "_" + file_safe(name) + ".png");
    preprocessing::save_img(png.string(), data.x_test_pixels[i].astype(float32), {.scale = false});
    std::cout << "test image " << i << " (" << name << "):" << top5_line(top[static_cast<std::size_t>(i)]) << "  [" << png.string() << "]\n";
  }
  for (const std::string& path : o.predict) {
    const Tensor image = preprocessing::load_img(path, {.target_size = std::pair<std::int64_t, std::int64_t>{32, 32}});
    const Tensor batch = r.prepare(image.reshape({1, 32, 32, image.dim(2)}));
    std::cout << "predict " << path << ":" << top5_line(utils::top_k(model.predict(batch, {.verbose = 0}), 5, data.class_names).front()) << "\n";
  }
  std::cout << "outputs: " << o.out << "/ (report.txt, confusion_matrix.svg"
            << (r.history != nullptr && !r.history->epoch.empty() ? ", history.svg, history.csv, best.keras" : "")
            << ", test_images/)\n";
}

int run_app(const std::function<int()>& body) {
  try {
    return body();
  } catch (const keras::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace apps
