// The flagship app: seed 004's VGG-style CNN for CIFAR-100. Training arrives with the
// training issue; for now it builds the model, prints its summary and times a forward pass
// of one batch of random CIFAR-shaped images on the selected backend.
#include <chrono>
#include <iostream>

#include "../common/cli.hpp"
#include "vgg9_model.hpp"

int main(int argc, char** argv) {
  try {
    const auto args = apps::parse_args(
        argc, argv, "cifar100_vgg9: seed 004's 9-layer CNN for CIFAR-100 (summary + forward pass)");
    apps::select_backend(args);
    keras::Sequential model = apps::make_vgg9();
    model.summary();

    const std::int64_t batch = args.batch_size > 0 ? args.batch_size : 4;
    const keras::Tensor images = keras::random::uniform({batch, 32, 32, 3}, {.seed = 4});
    keras::NoGradGuard inference;
    const auto start = std::chrono::steady_clock::now();
    const keras::Tensor probabilities = model(images);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::cout << "forward pass: batch " << batch << " -> output "
              << keras::to_string(probabilities.shape()) << " in " << seconds << " s ("
              << static_cast<double>(batch) / seconds << " images/s)\n";
    const auto row = probabilities[0].to_vector<float>();
    double total = 0.0;
    std::size_t best = 0;
    for (std::size_t i = 0; i < row.size(); ++i) {
      total += row[i];
      if (row[i] > row[best]) best = i;
    }
    std::cout << "first image: class probabilities sum to " << total << ", top class " << best
              << " (p = " << row[best] << ")\n";
    return 0;
  } catch (const keras::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
