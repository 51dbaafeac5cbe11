// Batch normalization and softmax on oneDNN. A (rows, channels) view is described as NHWC
// with H = W = 1, the layout oneDNN's vectorized batch-norm kernels take. oneDNN's softmax
// takes the row maximum with NaN dropped; rows holding a NaN or infinity are recomputed by the
// reference rule afterwards (a scan of the rows, cheap beside the exponentials).
#include <algorithm>
#include <optional>
#include <vector>

#include "dnnl_primitives.hpp"

namespace keras::cpu {

struct BatchNormEntry {
  dnnl::batch_normalization_forward::primitive_desc forward_pd;
  dnnl::batch_normalization_forward forward;
  std::optional<dnnl::batch_normalization_backward::primitive_desc> backward_pd;
  dnnl::batch_normalization_backward backward;
  memory scratch_dgamma;  // when the caller has gamma but does not want its gradient
  memory scratch_shift;   // zeros: see batch_norm_backward
};

struct SoftmaxEntry {
  dnnl::softmax_v2_forward::primitive_desc forward_pd;
  dnnl::softmax_v2_forward forward;
  std::optional<dnnl::softmax_v2_backward::primitive_desc> backward_pd;
  dnnl::softmax_v2_backward backward;
};

namespace {

memory::desc rows_channels(std::int64_t rows, std::int64_t channels) {
  return memory::desc({rows, channels, 1, 1}, DT::f32, Tag::nhwc);
}

dnnl::normalization_flags bn_flags(const float* gamma, const float* beta, bool global_stats) {
  auto flags = dnnl::normalization_flags::none;
  if (gamma) flags |= dnnl::normalization_flags::use_scale;
  if (beta) flags |= dnnl::normalization_flags::use_shift;
  if (global_stats) flags |= dnnl::normalization_flags::use_global_stats;
  return flags;
}

BatchNormEntry& bn_entry(CpuBackend::Primitives& p, bool training, const float* gamma,
                         const float* beta, std::int64_t rows, std::int64_t channels, float epsilon) {
  const std::string key = cache_key(training, gamma != nullptr, beta != nullptr, rows, channels, epsilon);
  return p.batch_norms.get(key, [&] {
    auto e = std::make_shared<BatchNormEntry>();
    const auto kind = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    e->forward_pd = dnnl::batch_normalization_forward::primitive_desc(
        dnnl::batch_normalization_forward::desc(kind, rows_channels(rows, channels), epsilon,
                                                bn_flags(gamma, beta, !training)),
        p.engine);
    e->forward = dnnl::batch_normalization_forward(e->forward_pd);
    return e;
  });
}

memory vector_memory(CpuBackend::Primitives& p, std::int64_t channels, const float* data) {
  return memory(memory::desc({channels}, DT::f32, Tag::x), p.engine, const_cast<float*>(data));
}

std::string bn_what(const char* pass, std::int64_t rows, std::int64_t channels) {
  return std::string("batch normalization ") + pass + " (" + std::to_string(rows) + " rows x " +
         std::to_string(channels) + " channels)";
}

}  // namespace

namespace {
// The training (batch statistics out) and inference (statistics in) forward passes.
void batch_norm_forward(CpuBackend::Primitives& p, bool training, const float* x, const float* gamma,
                        const float* beta, const float* mean, const float* variance,
                        std::int64_t rows, std::int64_t channels, float epsilon, float* y) {
  run_dnnl(p, [&] { return bn_what(training ? "training forward" : "inference", rows, channels); }, [&] {
    BatchNormEntry& e = bn_entry(p, training, gamma, beta, rows, channels, epsilon);
    const memory::desc data = rows_channels(rows, channels);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(data, p.engine, const_cast<float*>(x))},
                                         {DNNL_ARG_DST, memory(data, p.engine, y)},
                                         {DNNL_ARG_MEAN, vector_memory(p, channels, mean)},
                                         {DNNL_ARG_VARIANCE, vector_memory(p, channels, variance)}};
    if (gamma) args.emplace(DNNL_ARG_SCALE, vector_memory(p, channels, gamma));
    if (beta) args.emplace(DNNL_ARG_SHIFT, vector_memory(p, channels, beta));
    e.forward.execute(p.stream, args);
  });
}
}  // namespace

void CpuBackend::batch_norm_training(const float* x, const float* gamma, const float* beta,
                                     std::int64_t rows, std::int64_t channels, float epsilon,
                                     float* y, float* mean, float* variance) {
  batch_norm_forward(*primitives_, true, x, gamma, beta, mean, variance, rows, channels, epsilon, y);
}

void CpuBackend::batch_norm_inference(const float* x, const float* gamma, const float* beta,
                                      const float* mean, const float* variance, std::int64_t rows,
                                      std::int64_t channels, float epsilon, float* y) {
  batch_norm_forward(*primitives_, false, x, gamma, beta, mean, variance, rows, channels, epsilon, y);
}

void CpuBackend::batch_norm_backward(const float* dy, const float* x, const float* gamma,
                                     const float* mean, const float* variance, std::int64_t rows,
                                     std::int64_t channels, float epsilon, float* dx,
                                     float* dgamma, float* dbeta) {
  run_dnnl(*primitives_, [&] { return bn_what("backward", rows, channels); }, [&] {
    auto& p = *primitives_;
    // Its own entry: the forward hint must carry the backward's flags (shift present when
    // the caller wants dbeta), which need not be the training forward's.
    const bool with_shift = dbeta != nullptr;
    const std::string key = cache_key("backward", gamma != nullptr, with_shift, rows, channels, epsilon);
    const memory::desc data = rows_channels(rows, channels);
    BatchNormEntry& e = p.batch_norms.get(key, [&] {
      auto entry = std::make_shared<BatchNormEntry>();
      const auto flags = bn_flags(gamma, dbeta, false);
      entry->forward_pd = dnnl::batch_normalization_forward::primitive_desc(
          dnnl::batch_normalization_forward::desc(dnnl::prop_kind::forward_training, data, epsilon, flags),
          p.engine);
      const auto kind = (gamma || with_shift) ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data;
      entry->backward_pd.emplace(dnnl::batch_normalization_backward::desc(kind, data, data, epsilon, flags),
                                 p.engine, entry->forward_pd);
      entry->backward = dnnl::batch_normalization_backward(*entry->backward_pd);
      entry->scratch_dgamma = memory(memory::desc({channels}, DT::f32, Tag::x), p.engine);
      entry->scratch_shift = memory(memory::desc({channels}, DT::f32, Tag::x), p.engine);
      std::fill_n(static_cast<float*>(entry->scratch_shift.get_data_handle()), channels, 0.0f);
      return entry;
    });
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(data, p.engine, const_cast<float*>(x))},
                                         {DNNL_ARG_DIFF_DST, memory(data, p.engine, const_cast<float*>(dy))},
                                         {DNNL_ARG_DIFF_SRC, memory(data, p.engine, dx)},
                                         {DNNL_ARG_MEAN, vector_memory(p, channels, mean)},
                                         {DNNL_ARG_VARIANCE, vector_memory(p, channels, variance)}};
    if (gamma) {
      args.emplace(DNNL_ARG_SCALE, vector_memory(p, channels, gamma));
      args.emplace(DNNL_ARG_DIFF_SCALE, dgamma ? vector_memory(p, channels, dgamma) : e.scratch_dgamma);
    }
    if (with_shift) {
      // oneDNN's argument check wants the shift itself, which the gradients do not use.
      args.emplace(DNNL_ARG_SHIFT, e.scratch_shift);
      args.emplace(DNNL_ARG_DIFF_SHIFT, vector_memory(p, channels, dbeta));
    }
    e.backward.execute(p.stream, args);
  });
}

namespace {

SoftmaxEntry& softmax_entry(CpuBackend::Primitives& p, std::int64_t rows, std::int64_t cols, bool log) {
  return p.softmaxes.get(cache_key(rows, cols, log), [&] {
    const memory::desc data({rows, cols}, DT::f32, Tag::nc);
    const auto algorithm = log ? dnnl::algorithm::softmax_log : dnnl::algorithm::softmax_accurate;
    auto e = std::make_shared<SoftmaxEntry>();
    e->forward_pd = dnnl::softmax_v2_forward::primitive_desc(
        dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_training, algorithm, data, data, 1),
        p.engine);
    e->forward = dnnl::softmax_v2_forward(e->forward_pd);
    e->backward_pd.emplace(dnnl::softmax_v2_backward::desc(algorithm, data, data, data, 1),
                           p.engine, e->forward_pd);
    e->backward = dnnl::softmax_v2_backward(*e->backward_pd);
    return e;
  });
}

std::string softmax_what(const char* pass, std::int64_t rows, std::int64_t cols, bool log) {
  return std::string(log ? "log_softmax " : "softmax ") + pass + " (" + std::to_string(rows) +
         " rows x " + std::to_string(cols) + ")";
}

}  // namespace

void CpuBackend::softmax_forward(const float* x, float* y, std::int64_t rows, std::int64_t cols,
                                 bool log) {
  run_dnnl(*primitives_, [&] { return softmax_what("forward", rows, cols, log); }, [&] {
    auto& p = *primitives_;
    SoftmaxEntry& e = softmax_entry(p, rows, cols, log);
    const memory::desc data = e.forward_pd.src_desc();
    e.forward.execute(p.stream, {{DNNL_ARG_SRC, memory(data, p.engine, const_cast<float*>(x))},
                                 {DNNL_ARG_DST, memory(data, p.engine, y)}});
    p.stream.wait();
    p.loops.softmax_fix_nonfinite_rows(x, y, rows, cols, log);
  });
}

void CpuBackend::softmax_backward(const float* y, const float* dy, float* dx, std::int64_t rows,
                                  std::int64_t cols, bool log) {
  run_dnnl(*primitives_, [&] { return softmax_what("backward", rows, cols, log); }, [&] {
    auto& p = *primitives_;
    SoftmaxEntry& e = softmax_entry(p, rows, cols, log);
    const memory::desc data = e.forward_pd.src_desc();
    e.backward.execute(p.stream, {{DNNL_ARG_DST, memory(data, p.engine, const_cast<float*>(y))},
                                  {DNNL_ARG_DIFF_DST, memory(data, p.engine, const_cast<float*>(dy))},
                                  {DNNL_ARG_DIFF_SRC, memory(data, p.engine, dx)}});
    p.stream.wait();
    p.loops.softmax_backward_fix_nonfinite_rows(y, dy, dx, rows, cols, log);
  });
}

}  // namespace keras::cpu
