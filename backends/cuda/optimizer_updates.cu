// The CUDA backend's fused optimizer updates: one pass over each variable, or one launch over a
// whole group of variables (Adam, SGD), each element through the host backends' own rule
// (element_rules.hpp), so every backend rounds alike.
#include <cstring>
#include <vector>

#include "../common/element_rules.hpp"
#include "launch.cuh"

namespace keras::cuda_backend {

namespace rules = element_rules;

namespace {
__global__ void adam_kernel(float* var, float* m, float* v, float* v_max, const float* g, std::size_t n, float alpha,
                            float b1, float b2, float epsilon) {
  KERASCPP_GRID_STRIDE(i, n) rules::adam_element(var[i], m[i], v[i], v_max ? v_max + i : nullptr, g[i], alpha, b1, b2, epsilon);
}
__global__ void sgd_kernel(float* var, float* m, const float* g, std::size_t n, float lr, float momentum, bool nesterov) {
  KERASCPP_GRID_STRIDE(i, n) rules::sgd_element(var[i], m ? m + i : nullptr, g[i], lr, momentum, nesterov);
}
// The per-variable updates' _at forms pass lr_at (Nadam: scalars_at, four floats) and gate,
// read when the kernel runs, as the grouped kernels below do; the by-value forms pass nulls.
__global__ void rmsprop_kernel(float* var, float* velocity, float* momentum_slot, float* average, const float* g,
                               std::size_t n, const float* lr_at, const float* gate, float lr, float rho,
                               float momentum, float epsilon) {
  if (gate && *gate == 0.0f) return;
  if (lr_at) lr = *lr_at;
  KERASCPP_GRID_STRIDE(i, n) {
    rules::rmsprop_element(var[i], velocity[i], momentum_slot ? momentum_slot + i : nullptr,
                           average ? average + i : nullptr, g[i], lr, rho, momentum, epsilon);
  }
}
__global__ void adagrad_kernel(float* var, float* accumulator, const float* g, std::size_t n, const float* lr_at,
                               const float* gate, float lr, float epsilon) {
  if (gate && *gate == 0.0f) return;
  if (lr_at) lr = *lr_at;
  KERASCPP_GRID_STRIDE(i, n) rules::adagrad_element(var[i], accumulator[i], g[i], lr, epsilon);
}
__global__ void nadam_kernel(float* var, float* m, float* v, const float* g, std::size_t n, float b1, float b2,
                             const float* scalars_at, const float* gate, float m_scale, float g_scale,
                             float v_divisor, float lr, float epsilon) {
  if (gate && *gate == 0.0f) return;
  if (scalars_at) {
    m_scale = scalars_at[0];
    g_scale = scalars_at[1];
    v_divisor = scalars_at[2];
    lr = scalars_at[3];
  }
  KERASCPP_GRID_STRIDE(i, n) rules::nadam_element(var[i], m[i], v[i], g[i], b1, b2, m_scale, g_scale, v_divisor, lr, epsilon);
}
// Grouped updates: one grid over the concatenation of every variable's elements. starts[i] is
// variable i's first element in it (starts[count] the total); each thread finds its variable by
// binary search (the table is a few hundred entries, cached) and applies the same rule.
__device__ std::size_t owner_of(const std::size_t* starts, std::size_t count, std::size_t e) {
  std::size_t lo = 0, hi = count;
  while (hi - lo > 1) {
    const std::size_t mid = (lo + hi) / 2;
    if (starts[mid] <= e) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}
// alpha_at / lr_at, when given, is read when the kernel runs (a replayed CUDA graph's per-step
// value); otherwise the value passed. A gate that reads 0 then leaves everything as it was (the
// same value for every thread, so the whole grid returns).
__global__ void adam_group_kernel(const AdamTensors* t, const std::size_t* starts, std::size_t count, std::size_t total,
                                  const float* alpha_at, float alpha, const float* gate, float b1, float b2,
                                  float epsilon) {
  if (gate && *gate == 0.0f) return;
  if (alpha_at) alpha = *alpha_at;
  KERASCPP_GRID_STRIDE(e, total) {
    const AdamTensors& a = t[owner_of(starts, count, e)];
    const std::size_t j = e - starts[&a - t];
    rules::adam_element(a.var[j], a.m[j], a.v[j], a.v_max ? a.v_max + j : nullptr, a.g[j], alpha, b1, b2, epsilon);
  }
}
__global__ void sgd_group_kernel(const SgdTensors* t, const std::size_t* starts, std::size_t count, std::size_t total,
                                 const float* lr_at, float lr, const float* gate, float momentum, bool nesterov) {
  if (gate && *gate == 0.0f) return;
  if (lr_at) lr = *lr_at;
  KERASCPP_GRID_STRIDE(e, total) {
    const SgdTensors& a = t[owner_of(starts, count, e)];
    const std::size_t j = e - starts[&a - t];
    rules::sgd_element(a.var[j], a.m ? a.m + j : nullptr, a.g[j], lr, momentum, nesterov);
  }
}

// The group's descriptors and their start table, uploaded in one staged copy; `total` is the
// number of elements of the whole group.
template <class Tensors>
struct GroupTable {
  GroupTable(CudaBackend& be, const Tensors* tensors, std::size_t count)
      : table(be, count * sizeof(Tensors) + (count + 1) * sizeof(std::size_t)) {
    std::vector<unsigned char> host(count * sizeof(Tensors) + (count + 1) * sizeof(std::size_t));
    std::memcpy(host.data(), tensors, count * sizeof(Tensors));
    auto* starts = reinterpret_cast<std::size_t*>(host.data() + count * sizeof(Tensors));
    starts[0] = 0;
    for (std::size_t i = 0; i < count; ++i) starts[i + 1] = starts[i] + tensors[i].n;
    total = starts[count];
    be.copy_from_host(table.get(), host.data(), host.size());
    this->tensors = table.as<const Tensors>();
    this->starts = reinterpret_cast<const std::size_t*>(table.as<const unsigned char>() + count * sizeof(Tensors));
  }
  CudaBackend::Scratch table;
  const Tensors* tensors = nullptr;
  const std::size_t* starts = nullptr;
  std::size_t total = 0;
};
}  // namespace

void CudaBackend::adam_update_group(const AdamTensors* tensors, std::size_t count, float alpha, float one_minus_beta_1,
                                    float one_minus_beta_2, float epsilon) {
  if (count == 0) return;
  const GroupTable<AdamTensors> group(*this, tensors, count);
  launch(*this, "adam_update_group", group.total, adam_group_kernel, group.tensors, group.starts, count, group.total,
         static_cast<const float*>(nullptr), alpha, static_cast<const float*>(nullptr), one_minus_beta_1,
         one_minus_beta_2, epsilon);
}
void CudaBackend::adam_update_group_at(const AdamTensors* tensors, std::size_t count, const float* alpha,
                                       const float* gate, float one_minus_beta_1, float one_minus_beta_2,
                                       float epsilon) {
  if (count == 0) return;
  const GroupTable<AdamTensors> group(*this, tensors, count);
  launch(*this, "adam_update_group_at", group.total, adam_group_kernel, group.tensors, group.starts, count, group.total,
         alpha, 0.0f, gate, one_minus_beta_1, one_minus_beta_2, epsilon);
}
void CudaBackend::sgd_update_group(const SgdTensors* tensors, std::size_t count, float lr, float momentum,
                                   bool nesterov) {
  if (count == 0) return;
  const GroupTable<SgdTensors> group(*this, tensors, count);
  launch(*this, "sgd_update_group", group.total, sgd_group_kernel, group.tensors, group.starts, count, group.total,
         static_cast<const float*>(nullptr), lr, static_cast<const float*>(nullptr), momentum, nesterov);
}
void CudaBackend::sgd_update_group_at(const SgdTensors* tensors, std::size_t count, const float* lr,
                                      const float* gate, float momentum, bool nesterov) {
  if (count == 0) return;
  const GroupTable<SgdTensors> group(*this, tensors, count);
  launch(*this, "sgd_update_group_at", group.total, sgd_group_kernel, group.tensors, group.starts, count, group.total,
         lr, 0.0f, gate, momentum, nesterov);
}

void CudaBackend::adam_update(float* var, float* m, float* v, float* v_max, const float* g, std::size_t n, float alpha,
                              float one_minus_beta_1, float one_minus_beta_2, float epsilon) {
  launch(*this, "adam_update", n, adam_kernel, var, m, v, v_max, g, n, alpha, one_minus_beta_1, one_minus_beta_2, epsilon);
}
void CudaBackend::sgd_update(float* var, float* m, const float* g, std::size_t n, float lr, float momentum,
                             bool nesterov) {
  launch(*this, "sgd_update", n, sgd_kernel, var, m, g, n, lr, momentum, nesterov);
}
void CudaBackend::rmsprop_update(float* var, float* velocity, float* momentum_slot, float* average, const float* g,
                                 std::size_t n, float lr, float rho, float momentum, float epsilon) {
  launch(*this, "rmsprop_update", n, rmsprop_kernel, var, velocity, momentum_slot, average, g, n,
         static_cast<const float*>(nullptr), static_cast<const float*>(nullptr), lr, rho, momentum, epsilon);
}
void CudaBackend::rmsprop_update_at(float* var, float* velocity, float* momentum_slot, float* average,
                                    const float* g, std::size_t n, const float* lr, const float* gate, float rho,
                                    float momentum, float epsilon) {
  launch(*this, "rmsprop_update_at", n, rmsprop_kernel, var, velocity, momentum_slot, average, g, n, lr, gate, 0.0f,
         rho, momentum, epsilon);
}
void CudaBackend::adagrad_update(float* var, float* accumulator, const float* g, std::size_t n, float lr,
                                 float epsilon) {
  launch(*this, "adagrad_update", n, adagrad_kernel, var, accumulator, g, n, static_cast<const float*>(nullptr),
         static_cast<const float*>(nullptr), lr, epsilon);
}
void CudaBackend::adagrad_update_at(float* var, float* accumulator, const float* g, std::size_t n, const float* lr,
                                    const float* gate, float epsilon) {
  launch(*this, "adagrad_update_at", n, adagrad_kernel, var, accumulator, g, n, lr, gate, 0.0f, epsilon);
}
void CudaBackend::nadam_update(float* var, float* m, float* v, const float* g, std::size_t n, float one_minus_beta_1,
                               float one_minus_beta_2, float m_scale, float g_scale, float v_divisor, float lr,
                               float epsilon) {
  launch(*this, "nadam_update", n, nadam_kernel, var, m, v, g, n, one_minus_beta_1, one_minus_beta_2,
         static_cast<const float*>(nullptr), static_cast<const float*>(nullptr), m_scale, g_scale, v_divisor, lr,
         epsilon);
}
void CudaBackend::nadam_update_at(float* var, float* m, float* v, const float* g, std::size_t n,
                                  float one_minus_beta_1, float one_minus_beta_2, const float* scalars,
                                  const float* gate, float epsilon) {
  launch(*this, "nadam_update_at", n, nadam_kernel, var, m, v, g, n, one_minus_beta_1, one_minus_beta_2, scalars, gate,
         0.0f, 0.0f, 0.0f, 0.0f, epsilon);
}

}  // namespace keras::cuda_backend
