#pragma once
// Checks shared by layer implementations.
#include <string>

#include "keras/core/errors.hpp"
#include "keras/ops/nn.hpp"

namespace keras::layers::internal {

inline void require_channels_last(const std::string& data_format, const std::string& layer) {
  if (data_format != "channels_last") {
    throw ValueError(layer + ": data_format='" + data_format +
                     "' is not supported; kerascpp is channels-last (NHWC) like Keras' default. "
                     "Transpose the data to (batch, height, width, channels)");
  }
}

inline void require_padding(const std::string& padding, const std::string& layer) {
  if (padding != "valid" && padding != "same") {
    throw ValueError(layer + ": padding must be \"valid\" or \"same\", got \"" + padding + "\"");
  }
}

inline void require_positive(std::int64_t value, const char* what, const std::string& layer) {
  if (value < 1) {
    throw ValueError(layer + ": " + what + " must be a positive integer, got " +
                     std::to_string(value));
  }
}

// A spatial output length, None (-1) when the input length is None.
inline std::int64_t output_length(std::int64_t input, std::int64_t window, std::int64_t stride,
                                  std::int64_t dilation, const std::string& padding) {
  return input < 0 ? -1 : ops::conv_output_length(input, window, stride, dilation, padding);
}

}  // namespace keras::layers::internal
