// Seed 003 (MachineCurve, "How to build a ConvNet for CIFAR-10 and CIFAR-100 classification
// with Keras?"): three "valid" Conv2D 32/64/128 blocks with max-pooling, Dense 256-128-classes,
// trained as the post does: Adam (Keras' defaults), sparse categorical crossentropy, batch 50,
// 100 epochs, validation_split 0.2, then the test loss/accuracy and the val_loss / val_accuracy
// curves. --dataset cifar10 is the post's first half. It reports ~35% on CIFAR-100 (best near
// epoch 20) and 69.48% on CIFAR-10.
#include "../common/image_classifier.hpp"
#include "convnet_model.hpp"

int main(int argc, char** argv) {
  using namespace keras;
  return apps::run_app([&] {
    const auto o = apps::parse_app_args(
        argc, argv,
        {.program = "cifar100_convnet",
         .document = "seed 003 (MachineCurve, \"How to build a ConvNet for CIFAR-10 and CIFAR-100\"): ~35% / 69.48% on CIFAR-10",
         .default_epochs = 100,
         .default_batch_size = 50});
    if (o.summary) {
      apps::make_convnet(o.dataset == "cifar100" ? (o.label_mode == "coarse" ? 20 : 100) : 10).summary();
      return 0;
    }
    const apps::ImageData data = apps::load_image_data(o);
    Sequential model = apps::make_convnet(data.num_classes());
    model.summary();
    apps::load_weights_if_asked(model, o);
    model.compile({.optimizer = optimizers::Adam(), .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
    callbacks::History history;
    if (o.epochs > 0) {
      history = model.fit(data.x_train, data.y_train,
                          {.batch_size = o.batch_size, .epochs = o.epochs, .verbose = 1, .validation_split = 0.2,
                           .callbacks = {apps::best_checkpoint(o), apps::history_csv(o)}});
    }
    apps::report(model, o, data,
                 {.title = "seed 003's ConvNet, " + data.name,
                  .x_test = data.x_test,
                  .y_test = data.y_test,
                  .prepare = [](const Tensor& pixels) { return pixels / 255.0f; },
                  .history = o.epochs > 0 ? &history : nullptr});
    return 0;
  });
}
