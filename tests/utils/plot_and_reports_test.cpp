#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "keras/keras.hpp"
#include "support/temp_path.hpp"

using namespace keras;

namespace {
// A small XML well-formedness check: every tag closes in order, attributes are quoted.
bool well_formed_xml(const std::string& text, std::string& problem) {
  std::vector<std::string> open;
  std::size_t i = 0;
  while ((i = text.find('<', i)) != std::string::npos) {
    const std::size_t end = text.find('>', i);
    if (end == std::string::npos) return problem = "unclosed '<'", false;
    std::string tag = text.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.starts_with("?") || tag.starts_with("!")) continue;
    if (std::count(tag.begin(), tag.end(), '"') % 2) return problem = "odd quotes in <" + tag + ">", false;
    if (tag.starts_with("/")) {
      if (open.empty() || open.back() != tag.substr(1)) return problem = "mismatched </" + tag.substr(1) + ">", false;
      open.pop_back();
    } else if (!tag.ends_with("/")) {
      open.push_back(tag.substr(0, tag.find_first_of(" \n")));
    }
  }
  if (!open.empty()) return problem = "<" + open.back() + "> never closed", false;
  return true;
}
}  // namespace

TEST_CASE("plot_history writes a well-formed SVG with both panels") {
  callbacks::History h;
  h.epoch = {0, 1, 2};
  h.history["loss"] = {0.9, 0.6, 0.5};
  h.history["val_loss"] = {1.0, 0.7, 0.65};
  h.history["accuracy"] = {0.6, 0.75, 0.8};
  h.history["val_accuracy"] = {0.55, 0.7, 0.72};
  const std::string file = test_support::temp_path("plot_test_history.svg").string();
  utils::plot_history(h, file, {.title = "a <test> & more"});
  std::ifstream in(file);
  const std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string problem;
  INFO(problem);
  CHECK(well_formed_xml(svg, problem));
  CHECK(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
  CHECK(svg.find("a &lt;test&gt; &amp; more") != std::string::npos);
  int polylines = 0;
  for (std::size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++polylines;
  CHECK(polylines == 4);
  CHECK(svg.find("validation accuracy") != std::string::npos);
  CHECK_THROWS_AS(utils::plot_history(callbacks::History{}, "x.svg"), ValueError);
  CHECK_THROWS_AS(utils::plot_history(h, "/nonexistent-folder/x.svg"), IOError);
}

TEST_CASE("plot_confusion_matrix draws every non-empty cell with its count, and checks its input") {
  const Tensor y_true = Tensor::from_vector(std::vector<std::int32_t>{0, 0, 1, 2, 2, 2}, {6});
  const Tensor y_pred = Tensor::from_vector(std::vector<std::int32_t>{0, 1, 1, 2, 2, 0}, {6});
  const Tensor matrix = utils::confusion_matrix(y_true, y_pred, 3);
  const std::string file = test_support::temp_path("plot_test_confusion.svg").string();
  utils::plot_confusion_matrix(matrix, file, {.title = "cats & dogs", .class_names = {"cat", "dog", "<bird>"}});
  std::ifstream in(file);
  const std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string problem;
  INFO(problem);
  CHECK(well_formed_xml(svg, problem));
  CHECK(svg.find("cats &amp; dogs") != std::string::npos);
  // Five non-empty cells: (cat, cat) 1, (cat, dog) 1, (dog, dog) 1, (bird, bird) 2, (bird, cat) 1.
  int cells = 0;
  for (std::size_t at = svg.find("<rect x="); at != std::string::npos; at = svg.find("<rect x=", at + 1)) ++cells;
  CHECK(cells == 5 + 1);  // and the frame
  CHECK(svg.find("<title>true &lt;bird&gt;, predicted &lt;bird&gt;: 2</title>") != std::string::npos);
  CHECK(svg.find("<title>true cat, predicted dog: 1</title>") != std::string::npos);
  CHECK_THROWS_AS(utils::plot_confusion_matrix(Tensor::zeros({2, 3}, int32), file), ValueError);
  CHECK_THROWS_AS(utils::plot_confusion_matrix(matrix, file, {.class_names = {"a", "b"}}), ValueError);
  CHECK_THROWS_AS(utils::plot_confusion_matrix(matrix, "/nonexistent-folder/x.svg"), IOError);
}

TEST_CASE("classification_report lays out scikit-learn's text") {
  const Tensor y_true = Tensor::from_vector<std::int32_t>({0, 0, 1, 1, 1, 2}, {6});
  const Tensor y_pred = Tensor::from_vector<std::int32_t>({0, 1, 1, 1, 0, 2}, {6});
  const std::string expected =
      "              precision    recall  f1-score   support\n"
      "\n"
      "         cat       0.50      0.50      0.50         2\n"
      "         dog       0.67      0.67      0.67         3\n"
      "        bird       1.00      1.00      1.00         1\n"
      "\n"
      "    accuracy                           0.67         6\n"
      "   macro avg       0.72      0.72      0.72         6\n"
      "weighted avg       0.67      0.67      0.67         6\n";
  CHECK(utils::classification_report(y_true, y_pred, {.target_names = {"cat", "dog", "bird"}}) == expected);
  CHECK(utils::confusion_matrix(y_true, y_pred, 3).to_vector<std::int32_t>() ==
        std::vector<std::int32_t>{1, 1, 0, 1, 2, 0, 0, 0, 1});
}

TEST_CASE("top_k orders classes by probability") {
  const Tensor p = Tensor::from_vector<float>({0.1f, 0.6f, 0.3f, 0.5f, 0.2f, 0.3f}, {2, 3});
  const auto top = utils::top_k(p, 2, {"a", "b", "c"});
  REQUIRE(top.size() == 2);
  CHECK(top[0][0].first == "b");
  CHECK(top[0][1].first == "c");
  CHECK(top[1][0] == std::pair<std::string, float>{"a", 0.5f});
  CHECK_THROWS_AS(utils::top_k(p, 4), ValueError);
  // A row of a temporary result is a value, not a reference into the destroyed result.
  std::vector<std::string> names;
  for (const auto& [name, probability] : utils::top_k(p, 2, {"a", "b", "c"})[1]) names.push_back(name);
  CHECK(names == std::vector<std::string>{"a", "c"});
}

TEST_CASE("save_img with scale = false writes the pixel levels as they are") {
  const std::string levels = test_support::temp_path("save_img_levels.png").string();
  const std::string stretched_file = test_support::temp_path("save_img_stretched.png").string();
  const Tensor image = Tensor::from_vector<float>({10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120}, {2, 2, 3});
  preprocessing::save_img(levels, image, {.scale = false});
  CHECK(preprocessing::load_img(levels).to_vector<float>() == image.to_vector<float>());
  preprocessing::save_img(stretched_file, image);  // Keras' default stretches to 0..255
  const auto stretched = preprocessing::load_img(stretched_file).to_vector<float>();
  CHECK(stretched.front() == 0.0f);
  CHECK(stretched.back() == 255.0f);
  std::filesystem::remove(levels);
  std::filesystem::remove(stretched_file);
}

TEST_CASE("the progress bar prints Keras' lines") {
  std::ostringstream bar_out, line_out;
  utils::Progbar bar(625, {.verbose = 1, .dynamic = false}, bar_out);
  bar.update(300, {{"accuracy", 0.42131}, {"loss", 2.10321}}, false);
  bar.update(625, {{"accuracy", 0.42131}, {"loss", 0.000123}});
  std::string twenty_bars;
  for (int i = 0; i < 20; ++i) twenty_bars += "━";
  const std::string bar_line = bar_out.str();  // only the finished line: not a terminal
  CHECK(bar_line.starts_with("625/625 " + twenty_bars + " 0s "));
  CHECK(bar_line.find("s/step - accuracy: 0.4213 - loss: 1.2300e-04\n") != std::string::npos);
  CHECK(std::count(bar_line.begin(), bar_line.end(), '\n') == 1);
  utils::Progbar line(50, {.verbose = 2}, line_out);
  line.update(50, {{"loss", 0.5}});
  CHECK(line_out.str().starts_with("50/50 - 0s - "));
  CHECK(line_out.str().ends_with("s/step - loss: 0.5000\n"));
}

TEST_CASE("the progress bar says when it would draw, so that its values are fetched only then") {
  std::ostringstream out;
  utils::Progbar terminal(10, {.verbose = 1, .interval = 0.05, .dynamic = true}, out);
  CHECK(terminal.due(1));
  terminal.update(1, {{"loss", 1.0}});
  CHECK_FALSE(terminal.due(2));  // drawn just now
  CHECK(terminal.due(10));       // finished: always
  terminal.advance(2);           // timed, not drawn
  const auto drawn = out.str();
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  CHECK(terminal.due(3));
  CHECK(out.str() == drawn);
  utils::Progbar file(10, {.verbose = 1, .dynamic = false}, out);  // not a terminal: the finished line only
  CHECK_FALSE(file.due(1));
  CHECK_FALSE(file.due(10, false));
  CHECK(file.due(10));
}

TEST_CASE("to_categorical: CIFAR's (n, 1) labels become (n, classes) one-hot rows, as in Keras") {
  const Tensor labels = Tensor::from_vector<std::uint8_t>({3, 0, 2}, {3, 1});
  const Tensor y = utils::to_categorical(labels, 4);
  CHECK(y.shape() == Shape{3, 4});
  CHECK(y.dtype() == float32);
  CHECK(y.to_vector<float>() == std::vector<float>{0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0});
  CHECK(utils::to_categorical(Tensor::from_vector<std::int32_t>({1, 2, 0, 1}, {2, 2})).shape() == Shape{2, 2, 3});  // inferred
  CHECK(utils::to_categorical(Tensor::from_vector<float>({1, 0}, {2})).shape() == Shape{2, 2});
  CHECK_THROWS_WITH_AS(utils::to_categorical(labels, 3), doctest::Contains("label 3"), ValueError);
  CHECK_THROWS_AS(utils::to_categorical(Tensor::from_vector<std::int32_t>({-1}, {1}), 2), ValueError);
}
