// The flagship: seed 004 (Chetna Khanna, "CIFAR-100: Object Recognition") as the document
// trains it. Categorical labels and categorical_crossentropy; Adam 1e-4, batch 64, up to 100
// epochs; the last 20% of the training images held out for validation; on-the-fly augmentation
// through ImageDataGenerator.flow (shear, zoom, horizontal flip, featurewise center, width
// shift); EarlyStopping on val_loss with patience 20 keeping the best weights; the best model
// saved by val_loss; then the test loss and accuracy, confusion matrix, classification report,
// loss/accuracy plots and top-5 predictions. The augmentation amounts are not in the document:
// docs/models.md records the ones chosen.
#include "../common/image_classifier.hpp"
#include "vgg9_model.hpp"

int main(int argc, char** argv) {
  using namespace keras;
  return apps::run_app([&] {
    const auto o = apps::parse_app_args(
        argc, argv,
        {.program = "cifar100_vgg9",
         .document = "seed 004 (C. Khanna, \"CIFAR-100: Object Recognition\"): the 9-layer CNN, 59.09% on the test set",
         .default_epochs = 100,
         .default_batch_size = 64,
         .flags = {{"variant", "NAME    final (the 9-layer net, default) | small (the document's first, 5-layer net)"},
                   {"workers", "N       threads making augmented batches ahead of training (default 2)"},
                   {"patience", "N      EarlyStopping patience in epochs (default 20)"}}});
    const std::string variant = o.flag("variant", "final");
    if (variant != "final" && variant != "small") throw ValueError("--variant must be final or small, got '" + variant + "'");
    const bool small = variant == "small";
    if (o.summary) {
      (small ? apps::make_vgg9_small() : apps::make_vgg9()).summary();
      return 0;
    }
    const apps::ImageData data = apps::load_image_data(o);
    Sequential model = small ? apps::make_vgg9_small(data.num_classes()) : apps::make_vgg9(data.num_classes());
    model.summary();
    apps::load_weights_if_asked(model, o);
    model.compile({.optimizer = optimizers::Adam({.learning_rate = 1e-4}), .loss = "categorical_crossentropy",
                   .metrics = {"accuracy"}});

    // validation_split 0.2 as Keras takes it from arrays: the last 20%, before any shuffling.
    const std::int64_t n = data.x_train.dim(0), n_val = static_cast<std::int64_t>(static_cast<double>(n) * 0.2);
    const Tensor x_fit = data.x_train.slice(0, n - n_val), x_val = data.x_train.slice(n - n_val, n);
    const Tensor y_all = utils::to_categorical(data.y_train, data.num_classes());
    const Tensor y_fit = y_all.slice(0, n - n_val), y_val = y_all.slice(n - n_val, n);
    preprocessing::ImageDataGenerator datagen({.featurewise_center = true,
                                               .width_shift_range = 0.1,
                                               .shear_range = 10.0,
                                               .zoom_range = 0.1,
                                               .horizontal_flip = true});
    datagen.fit(x_fit);  // the mean pixel of the images trained on; validation and test use it too
    auto prepare = [&](const Tensor& pixels) { return datagen.standardize(pixels / 255.0f); };

    callbacks::History history;
    if (o.epochs > 0) {
      auto flow = datagen.flow(x_fit, y_fit, {.batch_size = o.batch_size, .seed = o.seed});
      const int patience = static_cast<int>(apps::parse_positive("--patience", o.flag("patience", "20"), true));
      const int workers = static_cast<int>(apps::parse_positive("--workers", o.flag("workers", "2")));
      history = model.fit(flow, {.epochs = o.epochs,
                                 .validation_data = ValidationData(datagen.standardize(x_val), y_val),
                                 .callbacks = {callbacks::EarlyStopping({.monitor = "val_loss", .patience = patience,
                                                                         .verbose = 1, .restore_best_weights = true}),
                                               apps::best_checkpoint(o), apps::history_csv(o)},
                                 .workers = workers});
    }
    apps::report(model, o, data,
                 {.title = std::string("seed 004's ") + (small ? "5-layer CNN" : "VGG9") + ", " + data.name,
                  .x_test = datagen.standardize(data.x_test),
                  .y_test = utils::to_categorical(data.y_test, data.num_classes()),
                  .prepare = prepare,
                  .history = o.epochs > 0 ? &history : nullptr});
    return 0;
  });
}
