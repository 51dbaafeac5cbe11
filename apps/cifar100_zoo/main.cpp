// Seed 000 (J. Fix, "A more ambitious image classification dataset: CIFAR-100"): its list of
// architectures to reimplement, each as its paper defines it for CIFAR (or, where the paper has
// no CIFAR network, as a named reference implementation does), trained with the
// document's augmentation (featurewise standardization, horizontal flip, 4 pixels of zero padding
// with random 32x32 crops, done as width/height shifts of up to 4 pixels with constant zero
// fill) and its paper's optimizer and schedule as defaults (docs/models.md): wrn, densenet_bc,
// shake_shake, resnet_sd, nasnet, and, following named reference implementations, mobilenet,
// shufflenet, squeezenet and xception.
#include <functional>
#include <map>

#include "../common/image_classifier.hpp"
#include "densenet_bc.hpp"
#include "mobilenet_cifar.hpp"
#include "nasnet_cifar.hpp"
#include "shake_shake_resnet.hpp"
#include "shufflenet_cifar.hpp"
#include "squeezenet_cifar.hpp"
#include "stochastic_depth_resnet.hpp"
#include "wide_resnet.hpp"
#include "xception_cifar.hpp"

namespace {

using keras::Model;

// What each paper trains with. Weight decay is an L2 penalty of decay / 2 on every kernel (the
// papers' Torch weight decay adds decay * w to the gradient). Step schedules multiply the rate by
// `factor` at each listed epoch; cosine decays it over the whole run.
struct Recipe {
  std::string paper;
  // The model for `classes` outputs, the app's flags, and the L2 factor of every kernel.
  std::function<Model(std::int64_t classes, const apps::AppOptions& o, float l2)> build;
  int epochs;
  std::int64_t batch_size;
  double learning_rate;
  double weight_decay;
  std::vector<int> steps;  // empty: cosine
  double factor = 0.1;
  bool nesterov = true;
};

int int_flag(const apps::AppOptions& o, const std::string& name, const std::string& fallback) {
  return static_cast<int>(apps::parse_positive("--" + name, o.flag(name, fallback)));
}

const std::map<std::string, Recipe>& recipes() {
  static const std::map<std::string, Recipe> table = {
      {"wrn",
       {"Zagoruyko & Komodakis 2016, WRN-28-10 (--depth, --width), dropout 0.3: SGD Nesterov 0.9, decay 5e-4, "
        "rate 0.1 x0.2 at epochs 60, 120, 160, 200 epochs, batch 128; paper: 36.5M parameters, 19.25% error on C100+",
        [](std::int64_t c, const apps::AppOptions& o, float l2) {
          return apps::zoo::make_wide_resnet(c, int_flag(o, "depth", "28"), int_flag(o, "width", "10"), 0.3f, l2);
        },
        200, 128, 0.1, 5e-4, {60, 120, 160}, 0.2}},
      {"densenet_bc",
       {"Huang et al. 2017, DenseNet-BC L=100 k=12 (--depth, --growth): SGD Nesterov 0.9, decay 1e-4, rate 0.1 "
        "/10 at 50% and 75% of 300 epochs, batch 64; paper: 0.8M parameters, 22.27% error on C100+",
        [](std::int64_t c, const apps::AppOptions& o, float l2) {
          return apps::zoo::make_densenet_bc(c, int_flag(o, "depth", "100"), int_flag(o, "growth", "12"), l2);
        },
        300, 64, 0.1, 1e-4, {150, 225}, 0.1}},
      {"shake_shake",
       {"Gastaldi 2017, Shake-Shake-Image 26 2x32d (--width 96 for 2x96d): SGD Nesterov 0.9, decay 1e-4, cosine "
        "from 0.2 over 1800 epochs, batch 128; paper: 2.9M parameters (26.2M for 2x96d), 2.86% error on C10+ (2x96d)",
        [](std::int64_t c, const apps::AppOptions& o, float l2) {
          return apps::zoo::make_shake_shake(c, int_flag(o, "width", "32"), l2);
        },
        1800, 128, 0.2, 1e-4, {}}},
      {"resnet_sd",
       {"Huang et al. 2016, ResNet-110 with stochastic depth (--depth), survival falling linearly to 0.5: SGD "
        "Nesterov 0.9, decay 1e-4, rate 0.1 /10 at epochs 250 and 375, 500 epochs, batch 128; paper: 1.7M "
        "parameters, 24.58% error on C100+",
        [](std::int64_t c, const apps::AppOptions& o, float l2) {
          return apps::zoo::make_stochastic_depth_resnet(c, int_flag(o, "depth", "110"), 0.5f, l2);
        },
        500, 128, 0.1, 1e-4, {250, 375}, 0.1}},
      {"mobilenet",
       {"Howard et al. 2017 as kuangliu/pytorch-cifar adapts it to CIFAR (a stride-1 stem): SGD momentum 0.9 "
        "(not Nesterov, as that reference), decay 5e-4, cosine from 0.1 over 200 epochs, batch 128; reference: "
        "3,309,476 parameters for 100 classes (the paper reports no CIFAR result)",
        [](std::int64_t c, const apps::AppOptions&, float l2) { return apps::zoo::make_mobilenet_cifar(c, l2); },
        200, 128, 0.1, 5e-4, {}, 0.1, false}},
      {"shufflenet",
       {"Zhang et al. 2017, g = 3, as kuangliu/pytorch-cifar's ShuffleNetG3 adapts it to CIFAR: SGD momentum 0.9 "
        "(not Nesterov, as that reference), decay 5e-4, cosine from 0.1 over 200 epochs, batch 128; reference: "
        "949,258 parameters for 100 classes (the paper reports no CIFAR result)",
        [](std::int64_t c, const apps::AppOptions&, float l2) { return apps::zoo::make_shufflenet_cifar(c, 3, l2); },
        200, 128, 0.1, 5e-4, {}, 0.1, false}},
      {"squeezenet",
       {"Iandola et al. 2016 as weiaicunzai/pytorch-cifar100 adapts it to CIFAR-100 (a stride-1 stem, BN, bypasses): "
        "SGD momentum 0.9 (not Nesterov, as that reference), decay 5e-4, rate 0.1 x0.2 at epochs 60, 120, 160, 200 "
        "epochs, batch 128 (its one-epoch warm-up is not built); reference: 781,156 parameters, 69.41% top-1",
        [](std::int64_t c, const apps::AppOptions&, float l2) { return apps::zoo::make_squeezenet_cifar(c, l2); },
        200, 128, 0.1, 5e-4, {60, 120, 160}, 0.2, false}},
      {"xception",
       {"Chollet 2017 (--depth: middle-flow blocks, 8) as weiaicunzai/pytorch-cifar100 adapts it to CIFAR-100 (stride-1 stem, no downsampling in the "
        "728 block): SGD momentum 0.9 (not Nesterov, as that reference), decay 5e-4, rate 0.1 x0.2 at epochs 60, 120, "
        "160, 200 epochs, batch 128 (its one-epoch warm-up is not built); reference: 21,013,988 parameters, 74.93% top-1",
        [](std::int64_t c, const apps::AppOptions& o, float l2) {
          return apps::zoo::make_xception_cifar(c, int_flag(o, "depth", "8"), l2);
        },
        200, 128, 0.1, 5e-4, {60, 120, 160}, 0.2, false}},
      {"nasnet",
       {"Zoph et al. 2018, NASNet-A (6 @ 768; --depth: cells per stage) for CIFAR, the authors' TF-slim cifar_config: SGD momentum 0.9, "
        "decay 5e-4, cosine from 0.025 over 600 epochs, batch 32 (their auxiliary head, drop path and gradient clipping are "
        "not built); paper: 3.3M parameters, 2.65% error on C10 with cutout",
        [](std::int64_t c, const apps::AppOptions& o, float l2) {
          return apps::zoo::make_nasnet_cifar(c, int_flag(o, "depth", "6"), l2);
        },
        600, 32, 0.025, 5e-4, {}, 0.1, false}},
  };
  return table;
}

const Recipe& recipe_for(const std::string& arch) {
  const auto it = recipes().find(arch);
  if (it != recipes().end()) return it->second;
  std::string known;
  for (const auto& [name, r] : recipes()) known += (known.empty() ? "" : ", ") + name;
  throw keras::ValueError("--arch must be one of " + known + ", got '" + arch + "'");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace keras;
  std::string help = "NAME  the architecture (required):";
  for (const auto& [name, r] : recipes()) help += "\n      " + name + ": " + r.paper;
  // The recipe gives the defaults of --epochs and --batch-size, so --arch is looked up first.
  std::string arch;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--arch") arch = argv[i + 1];
  }
  return apps::run_app([&] {
    const Recipe* recipe = arch.empty() ? nullptr : &recipe_for(arch);
    const auto o = apps::parse_app_args(
        argc, argv,
        {.program = "cifar100_zoo",
         .document = "seed 000 (J. Fix, \"A more ambitious image classification dataset: CIFAR-100\"): its papers' "
                     "architectures with the document's augmentation",
         .default_epochs = recipe ? recipe->epochs : 1,
         .default_batch_size = recipe ? recipe->batch_size : 128,
         .flags = {{"arch", apps::FlagSpec(help.c_str())},
                   {"depth", "N   the architecture's depth (wrn 28, densenet_bc 100, resnet_sd 110, nasnet 6 cells per stage, "
                             "xception 8 middle-flow blocks)"},
                   {"width", "N   wrn's widening factor (10); shake_shake's first stage width (32)"},
                   {"growth", "N  densenet_bc's growth rate (12)"},
                   {"learning-rate", "R  the initial rate instead of the paper's (the schedule keeps its shape)"},
                   {"workers", "N threads making augmented batches ahead of training (default 2)"}}});
    if (recipe == nullptr) throw ValueError("--arch is required; see --help");
    const std::int64_t classes = o.label_mode == "coarse" ? 20 : 100;
    if (o.summary) {
      recipe->build(classes, o, static_cast<float>(recipe->weight_decay / 2)).summary();
      return 0;
    }
    const apps::ImageData data = apps::load_image_data(o);
    Model model = recipe->build(data.num_classes(), o, static_cast<float>(recipe->weight_decay / 2));
    model.summary();
    apps::load_weights_if_asked(model, o);
    Recipe r = *recipe;
    const std::string given_rate = o.flag("learning-rate", "");
    if (!given_rate.empty()) {
      try {
        r.learning_rate = std::stod(given_rate);
      } catch (const std::exception&) {
        throw ValueError("--learning-rate must be a number, got '" + given_rate + "'");
      }
      if (!(r.learning_rate > 0.0)) throw ValueError("--learning-rate must be positive, got '" + given_rate + "'");
    }
    const std::int64_t steps_per_epoch = (data.x_train.dim(0) + o.batch_size - 1) / o.batch_size;
    optimizers::LearningRate rate = r.learning_rate;
    if (r.steps.empty()) rate = optimizers::schedules::CosineDecay(r.learning_rate, std::max<std::int64_t>(1, steps_per_epoch * o.epochs));
    model.compile({.optimizer = optimizers::SGD({.learning_rate = rate, .momentum = 0.9, .nesterov = r.nesterov}),
                   .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
    preprocessing::ImageDataGenerator datagen({.featurewise_center = true,
                                               .featurewise_std_normalization = true,
                                               .width_shift_range = {-4, -3, -2, -1, 0, 1, 2, 3, 4},
                                               .height_shift_range = {-4, -3, -2, -1, 0, 1, 2, 3, 4},
                                               .fill_mode = "constant",
                                               .cval = 0.0,
                                               .horizontal_flip = true});
    datagen.fit(data.x_train);
    callbacks::History history;
    if (o.epochs > 0) {
      std::vector<callbacks::CallbackPtr> cbs{apps::best_checkpoint(o), apps::history_csv(o)};
      if (!r.steps.empty()) {
        cbs.push_back(callbacks::LearningRateScheduler([r](int epoch, double) {
          double lr = r.learning_rate;
          for (int step : r.steps) lr *= epoch >= step ? r.factor : 1.0;
          return lr;
        }));
      }
      auto flow = datagen.flow(data.x_train, data.y_train, {.batch_size = o.batch_size, .seed = o.seed});
      history = model.fit(flow, {.epochs = o.epochs,
                                 .validation_data = ValidationData(datagen.standardize(data.x_test), data.y_test),
                                 .callbacks = cbs,
                                 .workers = static_cast<int>(apps::parse_positive("--workers", o.flag("workers", "2")))});
    }
    apps::report(model, o, data,
                 {.title = "seed 000's " + arch + ", " + data.name,
                  .x_test = datagen.standardize(data.x_test),
                  .y_test = data.y_test,
                  .prepare = [&](const Tensor& pixels) { return datagen.standardize(pixels / 255.0f); },
                  .history = o.epochs > 0 ? &history : nullptr});
    return 0;
  });
}
