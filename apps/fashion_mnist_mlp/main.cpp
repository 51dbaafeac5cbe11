// Seed 001's MNIST model (Flatten -> Dense 128 relu -> Dense 10 softmax, Adam, 5 epochs) on
// Fashion-MNIST from Debian's dataset-fashion-mnist package: trains with the progress bar,
// prints the test accuracy and a classification report, and writes the history plot.
#include <iostream>

#include "../common/cli.hpp"
#include "keras/keras.hpp"

int main(int argc, char** argv) {
  using namespace keras;
  using namespace keras::layers;
  try {
    const auto args = apps::parse_args(
        argc, argv, "fashion_mnist_mlp: seed 001's MLP on Fashion-MNIST",
        {{"epochs", "N       training epochs (default 5)"},
         {"data", "DIR       folder of the Fashion-MNIST IDX files (default: the Debian package's)"},
         {"plot", "FILE      where to write the history plot (default fashion_mnist_history.svg)"}});
    apps::select_backend(args);
    const int epochs = args.extra.count("epochs") ? static_cast<int>(apps::parse_positive("--epochs", args.extra.at("epochs"))) : 5;
    const std::string plot = args.extra.count("plot") ? args.extra.at("plot") : "fashion_mnist_history.svg";
    datasets::fashion_mnist::LoadOptions load;
    if (args.extra.count("data")) load.path = args.extra.at("data");

    utils::set_random_seed(1);
    auto [train, test] = datasets::fashion_mnist::load_data(load);
    const Tensor x_train = train.x.astype(float32) / 255.0f, x_test = test.x.astype(float32) / 255.0f;

    Sequential model({Input({28, 28}), Flatten(), Dense(128, {.activation = "relu"}),
                      Dense(10, {.activation = "softmax"})});
    model.compile({.optimizer = optimizers::Adam(), .loss = "sparse_categorical_crossentropy",
                   .metrics = {"accuracy"}});
    model.summary();
    const auto history = model.fit(x_train, train.y, {.batch_size = args.batch_size > 0 ? args.batch_size : 32,
                                                      .epochs = epochs, .validation_split = 0.1});
    auto scores = model.evaluate(x_test, test.y, {.verbose = 0});
    std::cout << "test loss: " << scores["loss"] << " - test accuracy: " << scores["accuracy"] << "\n\n";
    std::cout << utils::classification_report(test.y, model.predict(x_test, {.verbose = 0}),
                                              {.target_names = datasets::fashion_mnist::class_names()});
    utils::plot_history(history, plot, {.title = "Fashion-MNIST, seed 001's MLP"});
    std::cout << "history plot: " << plot << "\n";
    return 0;
  } catch (const keras::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
