#include "keras/utils/to_categorical.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "keras/core/errors.hpp"
#include "keras/ops/array.hpp"

namespace keras::utils {

Tensor to_categorical(const Tensor& y, std::int64_t num_classes) {
  if (!y.defined()) throw ValueError("to_categorical: the labels are an undefined Tensor");
  if (num_classes < 0) throw ValueError("to_categorical: num_classes must be positive (or 0 to infer it), got " + std::to_string(num_classes));
  std::vector<std::int64_t> dims = y.shape().dims();
  if (dims.size() > 1 && dims.back() == 1) dims.pop_back();
  const Tensor ids = y.dtype() == int32 ? y : y.astype(int32);  // float ids truncate, as numpy's int cast
  const std::vector<std::int32_t> host = ids.to_vector<std::int32_t>();
  if (num_classes == 0) {
    num_classes = host.empty() ? 0 : static_cast<std::int64_t>(*std::max_element(host.begin(), host.end())) + 1;
    if (num_classes <= 0) throw ValueError("to_categorical: cannot infer num_classes from labels that are all negative");
  }
  for (std::size_t i = 0; i < host.size(); ++i) {
    if (host[i] < 0 || host[i] >= num_classes) {
      throw ValueError("to_categorical: label " + std::to_string(host[i]) + " at flat index " + std::to_string(i) +
                       " of labels of shape " + to_string(y.shape()) + " is outside [0, " + std::to_string(num_classes) +
                       "); pass num_classes covering every class id");
    }
  }
  dims.push_back(num_classes);
  return ops::reshape(ops::one_hot(ops::reshape(ids, {ids.size()}), num_classes), Shape(dims));
}

}  // namespace keras::utils
