// The flagship app: seed 004's VGG-style CNN for CIFAR-100, trained as the document trains it
// (Adam, learning rate 1e-4, batch 64, up to 100 epochs, 20% of the training images held out
// for validation, early stopping on val_loss with patience 20), then evaluated on the test
// set with the top-5 classes of a few test images.
#include <iostream>

#include "../common/cli.hpp"
#include "vgg9_model.hpp"

int main(int argc, char** argv) {
  using namespace keras;
  try {
    const auto args = apps::parse_args(
        argc, argv, "cifar100_vgg9: seed 004's 9-layer CNN trained on CIFAR-100",
        {{"data", "DIR       CIFAR-100 (binary or python version); default: Keras' cache, ./data"},
         {"epochs", "N       at most N epochs (default 100; early stopping may end sooner)"},
         {"limit", "N        use only the first N training and test images (quick runs)"},
         {"summary-only", "1  print the model summary and stop"},
         {"predict", "FILE     after training, the top-5 classes of this image file (PNG, JPEG, BMP)"}});
    apps::select_backend(args);
    Sequential model = apps::make_vgg9();
    model.summary();
    if (args.extra.count("summary-only")) return 0;

    const int epochs = args.extra.count("epochs") ? static_cast<int>(apps::parse_positive("--epochs", args.extra.at("epochs"))) : 100;
    datasets::cifar100::LoadOptions load;
    if (args.extra.count("data")) load.path = args.extra.at("data");
    auto [train, test] = datasets::cifar100::load_data(load);
    const auto names = datasets::cifar100::class_names(load);
    if (args.extra.count("limit")) {
      const std::int64_t limit = apps::parse_positive("--limit", args.extra.at("limit"));
      train = {train.x.slice(0, std::min(limit, train.x.dim(0))), train.y.slice(0, std::min(limit, train.y.dim(0)))};
      test = {test.x.slice(0, std::min(limit, test.x.dim(0))), test.y.slice(0, std::min(limit, test.y.dim(0)))};
    }
    std::cout << "CIFAR-100: " << train.x.dim(0) << " training and " << test.x.dim(0) << " test images\n";
    const Tensor x_train = train.x.astype(float32) / 255.0f, x_test = test.x.astype(float32) / 255.0f;

    model.compile({.optimizer = optimizers::Adam({.learning_rate = 1e-4}),
                   .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
    const auto history = model.fit(
        x_train, train.y,
        {.batch_size = args.batch_size > 0 ? args.batch_size : 64, .epochs = epochs, .validation_split = 0.2,
         .callbacks = {callbacks::EarlyStopping({.monitor = "val_loss", .patience = 20, .verbose = 1,
                                                 .restore_best_weights = true})}});
    const auto scores = model.evaluate(x_test, test.y, {.verbose = 0});
    std::cout << "test loss: " << scores.at("loss") << " - test accuracy: " << scores.at("accuracy") << "\n";
    utils::plot_history(history, "cifar100_vgg9_history.svg", {.title = "CIFAR-100, seed 004's VGG9"});
    // Seed 004 shows the top-5 predictions of a few images.
    const std::int64_t shown = std::min<std::int64_t>(3, x_test.dim(0));
    const auto top = utils::top_k(model.predict(x_test.slice(0, shown), {.verbose = 0}), 5, names);
    const auto truth = test.y.to_vector<std::int32_t>();
    for (std::int64_t i = 0; i < shown; ++i) {
      std::cout << "test image " << i << " (" << names[static_cast<std::size_t>(truth[static_cast<std::size_t>(i)])] << "):";
      for (const auto& [name, p] : top[static_cast<std::size_t>(i)]) std::cout << " " << name << " " << p;
      std::cout << "\n";
    }
    // Seed 004 ends on "new random images": any image file, resized to 32x32.
    if (args.extra.count("predict")) {
      const std::string file = args.extra.at("predict");
      const Tensor image = preprocessing::load_img(file, {.target_size = std::pair{32, 32}}) / 255.0f;
      const auto best = utils::top_k(model.predict(image.reshape({1, 32, 32, 3}), {.verbose = 0}), 5, names);
      std::cout << file << ":";
      for (const auto& [name, p] : best.front()) std::cout << " " << name << " " << p;
      std::cout << "\n";
    }
    std::cout << "history plot: cifar100_vgg9_history.svg\n";
    return 0;
  } catch (const keras::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
