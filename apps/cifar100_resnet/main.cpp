// Seed 002 ("CIFAR-100: models for CIFAR-100"), its ResNet: the document's offline
// augmentation (two augmented copies of every training image merged with the originals), then
// three compiles of Adam with learning rates 1e-3, 1e-4 and 5e-5, sparse categorical
// crossentropy and sparse categorical accuracy; 26 epochs in all (the document's count;
// it does not give the split, docs/models.md records the one chosen: 10, 10, 6). It reports
// 65.49% on the test set.
#include <algorithm>

#include "../common/image_classifier.hpp"
#include "resnet_model.hpp"

namespace {

// The originals followed by `copies` augmented copies of every image (flips, small shifts and
// rotations, drawn by ImageDataGenerator as Keras draws them), labels alongside.
keras::datasets::Split with_augmented_copies(const keras::Tensor& x, const keras::Tensor& y, int copies,
                                             std::optional<std::uint32_t> seed) {
  using namespace keras;
  std::vector<Tensor> xs{x};
  std::vector<std::int32_t> labels = y.to_vector<std::int32_t>();
  preprocessing::ImageDataGenerator datagen({.rotation_range = 15.0, .width_shift_range = 0.1,
                                             .height_shift_range = 0.1, .horizontal_flip = true});
  auto flow = datagen.flow(x, y, {.batch_size = 512, .shuffle = false, .seed = seed});
  for (int copy = 0; copy < copies; ++copy) {
    for (std::size_t b = 0; b < flow.size(); ++b) {
      auto batch = flow.get(b);
      xs.push_back(batch.x.front());
      for (std::int32_t label : batch.y.front().astype(int32).to_vector<std::int32_t>()) labels.push_back(label);
    }
    flow.on_epoch_end();  // new draws for the next copy
  }
  const auto n = static_cast<std::int64_t>(labels.size());
  return {ops::concatenate(xs, 0), Tensor::from_vector(labels, {n, 1})};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace keras;
  return apps::run_app([&] {
    const auto o = apps::parse_app_args(
        argc, argv,
        {.program = "cifar100_resnet",
         .document = "seed 002 (\"CIFAR-100: models for CIFAR-100\"): the ResNet, 65.49% on the test set",
         .default_epochs = 26,
         .default_batch_size = 32,
         .flags = {{"augment-copies", "N  augmented copies of each training image added to the set (default 2)"},
                   {"filters", "N       the stem's filters, doubled at each stage (default 128, the document's)"}}});
    const std::int64_t filters = apps::parse_positive("--filters", o.flag("filters", "128"));
    if (o.summary) {
      apps::make_resnet(o.label_mode == "coarse" ? 20 : 100, filters).summary();
      return 0;
    }
    const apps::ImageData data = apps::load_image_data(o);
    Model model = apps::make_resnet(data.num_classes(), filters);
    model.summary();
    apps::load_weights_if_asked(model, o);
    const int copies = static_cast<int>(apps::parse_positive("--augment-copies", o.flag("augment-copies", "2"), true));
    const auto train = o.epochs > 0 ? with_augmented_copies(data.x_train, data.y_train, copies, o.seed)
                                    : datasets::Split{data.x_train, data.y_train};
    if (o.epochs > 0) std::cout << "training set with " << copies << " augmented copies: " << train.x.dim(0) << " images\n";

    // The document compiles three times; each compile starts a fresh Adam, as in Keras.
    struct Phase {
      double learning_rate;
      int last_epoch;
    };
    // --epochs beyond the document's 26 lengthen the last phase.
    const Phase phases[] = {{1e-3, 10}, {1e-4, 20}, {5e-5, std::max(26, o.epochs)}};
    callbacks::History history;
    std::optional<double> best;
    int epoch = 0;
    for (const Phase& phase : phases) {
      model.compile({.optimizer = optimizers::Adam({.learning_rate = phase.learning_rate}),
                     .loss = "sparse_categorical_crossentropy", .metrics = {"sparse_categorical_accuracy"}});
      const int until = std::min(phase.last_epoch, o.epochs);
      if (until <= epoch) continue;
      std::cout << "Adam(learning_rate=" << phase.learning_rate << "), epochs " << epoch + 1 << "-" << until << "\n";
      auto checkpoint = apps::best_checkpoint(o, best);
      apps::append_history(history, model.fit(train.x, train.y,
                                              {.batch_size = o.batch_size, .epochs = until,
                                               .validation_data = ValidationData(data.x_test, data.y_test),
                                               .callbacks = {checkpoint, apps::history_csv(o, epoch > 0)},
                                               .initial_epoch = epoch}));
      best = checkpoint->best;
      epoch = until;
    }
    apps::report(model, o, data,
                 {.title = "seed 002's ResNet, " + data.name,
                  .x_test = data.x_test,
                  .y_test = data.y_test,
                  .prepare = [](const Tensor& pixels) { return pixels / 255.0f; },
                  .history = o.epochs > 0 ? &history : nullptr});
    return 0;
  });
}
