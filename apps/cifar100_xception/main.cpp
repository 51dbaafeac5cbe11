// Seed 002 ("CIFAR-100: models for CIFAR-100"), its pretrained Xception: the Xception base
// (ImageNet weights from --base-weights; without them nothing is frozen and the whole network
// trains from scratch) frozen for 20 epochs under Adam 2e-4, then unfrozen for
// 26 more under two further compiles, Adam 5e-6 and 2e-6 (the document gives the rates, not the
// split: docs/models.md records the one chosen, 13 and 13); sparse categorical crossentropy and
// sparse categorical accuracy. It reports 72.93% on the test set.
#include <algorithm>

#include "../common/image_classifier.hpp"
#include "xception_head_model.hpp"

int main(int argc, char** argv) {
  using namespace keras;
  return apps::run_app([&] {
    const auto o = apps::parse_app_args(
        argc, argv,
        {.program = "cifar100_xception",
         .document = "seed 002 (\"CIFAR-100: models for CIFAR-100\"): the pretrained Xception, 72.93% on the test set",
         .default_epochs = 46,
         .default_batch_size = 32,
         .flags = {{"base-weights", "PATH  Keras' xception_weights_tf_dim_ordering_tf_kernels_notop.h5 (ImageNet), "
                                    "from https://storage.googleapis.com/tensorflow/keras-applications/xception/"}}});
    const std::string base_weights = o.flag("base-weights", "");
    const std::int64_t classes = o.label_mode == "coarse" ? 20 : 100;
    if (o.summary) {
      apps::make_xception_head(classes).model.summary();
      return 0;
    }
    const apps::ImageData data = apps::load_image_data(o);
    auto [base, model] = apps::make_xception_head(data.num_classes(), base_weights);
    model.summary();
    if (base_weights.empty()) {
      // A frozen random base gives the head nothing to learn from, so nothing is frozen.
      std::cout << "no --base-weights: the Xception base starts from random weights and is never frozen, so the whole "
                   "network trains from scratch (the document starts from ImageNet: bring Keras' "
                   "xception_weights_tf_dim_ordering_tf_kernels_notop.h5)\n";
    } else {
      std::cout << "Xception base: ImageNet weights from " << base_weights << "\n";
    }
    apps::load_weights_if_asked(model, o);

    // Three compiles, each a fresh Adam as in Keras; the base is frozen in the first only.
    struct Phase {
      double learning_rate;
      bool base_trainable;
      int last_epoch;
    };
    // --epochs beyond the document's 46 lengthen the last phase.
    const Phase phases[] = {{2e-4, false, 20}, {5e-6, true, 33}, {2e-6, true, std::max(46, o.epochs)}};
    callbacks::History history;
    std::optional<double> best;
    int epoch = 0;
    for (const Phase& phase : phases) {
      const int until = std::min(phase.last_epoch, o.epochs);
      if (until <= epoch) continue;
      const bool base_trainable = phase.base_trainable || base_weights.empty();
      base.set_trainable(base_trainable);
      model.compile({.optimizer = optimizers::Adam({.learning_rate = phase.learning_rate}),
                     .loss = "sparse_categorical_crossentropy", .metrics = {"sparse_categorical_accuracy"}});
      std::cout << "Adam(learning_rate=" << phase.learning_rate << "), Xception base "
                << (base_trainable ? "trainable" : "frozen") << ", epochs " << epoch + 1 << "-" << until << "\n";
      auto checkpoint = apps::best_checkpoint(o, best);
      apps::append_history(history, model.fit(data.x_train, data.y_train,
                                              {.batch_size = o.batch_size, .epochs = until,
                                               .validation_data = ValidationData(data.x_test, data.y_test),
                                               .callbacks = {checkpoint, apps::history_csv(o, epoch > 0)},
                                               .initial_epoch = epoch}));
      best = checkpoint->best;
      epoch = until;
    }
    if (!model.compiled()) {
      model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy",
                     .metrics = {"sparse_categorical_accuracy"}});
    }
    apps::report(model, o, data,
                 {.title = "seed 002's pretrained Xception, " + data.name,
                  .x_test = data.x_test,
                  .y_test = data.y_test,
                  .prepare = [](const Tensor& pixels) { return pixels / 255.0f; },
                  .history = o.epochs > 0 ? &history : nullptr});
    return 0;
  });
}
