#pragma once
// What the four CIFAR-100 apps share: one command line (--data, --dataset, --epochs, --limit,
// --out, --weights, --predict, ...), the data as the documents prepare it (pixels / 255), the
// output folder's callbacks (best checkpoint, history.csv) and the reports the documents show
// (test loss and accuracy, confusion matrix, classification report, plots, top-5 predictions).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "keras/keras.hpp"

namespace apps {

struct AppInfo {
  std::string program;   // "cifar100_vgg9"
  std::string document;  // the source document, named in --help
  int default_epochs = 1;
  std::int64_t default_batch_size = 32;
  std::map<std::string, FlagSpec> flags{};  // the app's own flags
};

struct AppOptions {
  CommonArgs common;
  std::string data;                  // empty: where load_data looks
  std::string dataset = "cifar100";  // cifar100 | cifar10 | fashion_mnist
  std::string label_mode = "fine";   // cifar100 only
  int epochs = 1;
  std::int64_t batch_size = 32;
  std::int64_t limit = 0;            // 0: every image
  std::optional<std::uint32_t> seed{};
  std::string out;                   // output folder
  bool summary = false;
  std::string weights;               // loaded before training or evaluating
  std::vector<std::string> predict;  // image files to classify at the end
  const std::string& flag(const std::string& name, const std::string& fallback) const;
};

// Parses the shared and the app's flags, selects backend/threads/precision, seeds, and creates
// the output folder. Exits on --help or a bad flag.
AppOptions parse_app_args(int argc, char** argv, const AppInfo& info);

struct ImageData {
  std::string name;                        // "CIFAR-100 (fine)", ...
  keras::Tensor x_train, y_train;          // float32 (n, 32, 32, 3) in [0, 1]; int32 (n, 1)
  keras::Tensor x_test, y_test;
  keras::Tensor x_test_pixels;             // the test images as uint8, as read
  std::vector<std::string> class_names;
  std::int64_t num_classes() const { return static_cast<std::int64_t>(class_names.size()); }
};

// The chosen dataset, every image 32x32x3 (Fashion-MNIST padded by 2 pixels and repeated to
// three channels), pixels divided by 255 as every document does, at most --limit images per
// split. Prints what it loaded.
ImageData load_image_data(const AppOptions& options);

// The output folder's callbacks: ModelCheckpoint(out/best.keras, best val_loss only; the best
// value to beat from a previous phase when given) and CSVLogger(out/history.csv, appending
// after the first phase).
std::shared_ptr<keras::callbacks::ModelCheckpointCallback> best_checkpoint(
    const AppOptions& options, std::optional<double> best_so_far = std::nullopt);
keras::callbacks::CallbackPtr history_csv(const AppOptions& options, bool append = false);

// Appends one fit's History to another (phases of several compiles, as seed 002 trains).
void append_history(keras::callbacks::History& total, const keras::callbacks::History& part);

struct ReportOptions {
  std::string title;                // of the plots
  keras::Tensor x_test;             // as the model takes it (already standardized if the app does)
  keras::Tensor y_test;             // as the loss takes it (sparse or categorical)
  // Turns images as read from a file (float32 (n, 32, 32, 3), 0..255) into the model's input.
  std::function<keras::Tensor(const keras::Tensor&)> prepare;
  const keras::callbacks::History* history = nullptr;  // none when nothing was trained
};

// Evaluates on the test set and prints and writes what the documents show: test loss and
// accuracy; confusion matrix (report.txt, confusion_matrix.svg); classification report; the
// history plot (history.svg); the top-5 classes of the first test images (saved losslessly
// as out/test_images/*.png) and of every --predict file.
void report(keras::Model& model, const AppOptions& options, const ImageData& data, const ReportOptions& report);

// Loads --weights when given, saying so; with --epochs 0 and no weights, says that the
// untrained model is evaluated.
void load_weights_if_asked(keras::Model& model, const AppOptions& options);

// Runs an app's body, printing a keras::Error as "error: ..." with exit status 1.
int run_app(const std::function<int()>& body);

}  // namespace apps
