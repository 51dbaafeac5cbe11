// Seed 001 ("CIFAR-100: A Step Up in Image Classification"): its basic CNN trained as the
// document's code does, with Keras' defaults where it gives none: Adam, sparse categorical
// crossentropy, accuracy, 15 epochs, batch 32, the test set as validation data. --label-mode
// coarse trains on the 20 superclasses, as the document suggests. It quotes ~40-50% for a basic CNN.
#include "../common/image_classifier.hpp"
#include "basic_cnn_model.hpp"

int main(int argc, char** argv) {
  using namespace keras;
  return apps::run_app([&] {
    const auto o = apps::parse_app_args(
        argc, argv,
        {.program = "cifar100_basic_cnn",
         .document = "seed 001 (\"CIFAR-100: A Step Up in Image Classification\"): a basic CNN, ~40-50%",
         .default_epochs = 15,
         .default_batch_size = 32});
    if (o.summary) {
      apps::make_basic_cnn(o.label_mode == "coarse" ? 20 : 100).summary();
      return 0;
    }
    const apps::ImageData data = apps::load_image_data(o);
    Sequential model = apps::make_basic_cnn(data.num_classes());
    model.summary();
    apps::load_weights_if_asked(model, o);
    model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
    callbacks::History history;
    if (o.epochs > 0) {
      history = model.fit(data.x_train, data.y_train,
                          {.batch_size = o.batch_size, .epochs = o.epochs,
                           .validation_data = ValidationData(data.x_test, data.y_test),
                           .callbacks = {apps::best_checkpoint(o), apps::history_csv(o)}});
    }
    apps::report(model, o, data,
                 {.title = "seed 001's basic CNN, " + data.name,
                  .x_test = data.x_test,
                  .y_test = data.y_test,
                  .prepare = [](const Tensor& pixels) { return pixels / 255.0f; },
                  .history = o.epochs > 0 ? &history : nullptr});
    return 0;
  });
}
