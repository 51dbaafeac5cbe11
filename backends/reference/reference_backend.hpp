#pragma once
// The reference backend: plain C++ loops on host memory, written to be obviously correct.
// Every other backend is tested against it.
#include "keras/core/backend.hpp"

namespace keras::reference {

class ReferenceBackend final : public Backend {
 public:
  std::string name() const override { return "reference"; }
  Device device() const override { return {DeviceKind::cpu, 0}; }
  bool host_addressable() const override { return true; }

  void* allocate(std::size_t bytes) override;
  void deallocate(void* ptr) noexcept override;
  void copy_from_host(void* dst, const void* src, std::size_t bytes) override;
  void copy_to_host(void* dst, const void* src, std::size_t bytes) override;
  void copy(void* dst, const void* src, std::size_t bytes) override;
  void fill(float* y, std::size_t n, float value) override;
  void cast(const void* x, DType from, void* y, DType to, std::size_t n) override;

  void random_uniform(float* y, std::size_t n, std::uint64_t seed, float low,
                      float high) override;
  void random_normal(float* y, std::size_t n, std::uint64_t seed, float mean,
                     float stddev) override;
  void dropout_mask(float* mask, std::size_t n, std::uint64_t seed, float rate) override;

  void unary(UnaryOp op, UnaryParams p, const float* x, float* y, std::size_t n) override;
  void unary_backward(UnaryOp op, UnaryParams p, const float* x, const float* y,
                      const float* dy, float* dx, std::size_t n) override;
  void binary(BinaryOp op, const float* a, const float* b, float* y,
              const BroadcastSpec& spec) override;
  void affine(const float* x, float* y, std::size_t n, float scale, float shift) override;
  void select_mask(BinaryOp op, const float* a, const float* b, float* mask_a,
                   const BroadcastSpec& spec) override;

  void reduce_sum(const float* x, float* y, std::int64_t outer, std::int64_t mid,
                  std::int64_t inner) override;
  void reduce_max(const float* x, float* y, std::int32_t* argmax, std::int64_t outer,
                  std::int64_t mid, std::int64_t inner) override;
  void expand_mid(const float* x, float* y, std::int64_t outer, std::int64_t mid,
                  std::int64_t inner, float scale) override;
  void scatter_argmax(const float* dy, const std::int32_t* argmax, float* dx,
                      std::int64_t outer, std::int64_t mid, std::int64_t inner) override;
  void copy_rows(const float* src, std::int64_t src_stride, std::int64_t src_offset, float* dst,
                 std::int64_t dst_stride, std::int64_t dst_offset, std::int64_t rows,
                 std::int64_t len, bool accumulate) override;

  void gather_rows(const void* src, std::size_t row_bytes, const std::int64_t* rows, std::size_t count,
                   void* dst) override;
  void transpose(const void* x, void* y, std::size_t elem_bytes, const std::vector<std::int64_t>& dims,
                 const std::vector<int>& perm) override;

  void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k,
            float alpha, const void* a, const void* b, float beta, void* c, DType dtype) override;
  void bias_add(const float* x, const float* bias, float* y, std::int64_t rows,
                std::int64_t cols, FusedActivation act) override;

  void conv2d_forward(const Conv2DGeometry& g, const void* x, const void* w, const void* bias,
                      FusedActivation act, void* y) override;
  void conv2d_backward_data(const Conv2DGeometry& g, const void* dy, const void* w, void* dx) override;
  void conv2d_backward_filter(const Conv2DGeometry& g, const void* x, const void* dy, void* dw) override;

  void pool2d_forward(PoolMode mode, const Pool2DGeometry& g, const float* x,
                      float* y) override;
  void pool2d_backward(PoolMode mode, const Pool2DGeometry& g, const float* x, const float* y,
                       const float* dy, float* dx) override;
  void pad2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w,
             std::int64_t c, std::int64_t top, std::int64_t bottom, std::int64_t left,
             std::int64_t right, float value) override;
  void crop2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w,
              std::int64_t c, std::int64_t top, std::int64_t bottom, std::int64_t left,
              std::int64_t right) override;
  void resize2d_forward(Interpolation mode, const float* x, std::int64_t n, std::int64_t h,
                        std::int64_t w, std::int64_t c, float* y, std::int64_t out_h,
                        std::int64_t out_w) override;
  void resize2d_backward(Interpolation mode, const float* dy, std::int64_t n, std::int64_t h,
                         std::int64_t w, std::int64_t c, float* dx, std::int64_t out_h,
                         std::int64_t out_w) override;

  void batch_norm_training(const float* x, const float* gamma, const float* beta,
                           std::int64_t rows, std::int64_t channels, float epsilon, float* y,
                           float* mean, float* variance) override;
  void batch_norm_inference(const float* x, const float* gamma, const float* beta,
                            const float* mean, const float* variance, std::int64_t rows,
                            std::int64_t channels, float epsilon, float* y) override;
  void batch_norm_backward(const float* dy, const float* x, const float* gamma,
                           const float* mean, const float* variance, std::int64_t rows,
                           std::int64_t channels, float epsilon, float* dx, float* dgamma,
                           float* dbeta) override;

  void softmax_forward(const float* x, float* y, std::int64_t rows, std::int64_t cols,
                       bool log) override;
  void softmax_backward(const float* y, const float* dy, float* dx, std::int64_t rows,
                        std::int64_t cols, bool log) override;

  void one_hot(const std::int32_t* labels, std::size_t n, std::int64_t depth, float* y,
               std::int32_t* invalid) override;

  void adam_update(float* var, float* m, float* v, float* v_max, const float* g, std::size_t n,
                   float alpha, float one_minus_beta_1, float one_minus_beta_2,
                   float epsilon) override;
  void sgd_update(float* var, float* m, const float* g, std::size_t n, float lr, float momentum,
                  bool nesterov) override;
  void rmsprop_update(float* var, float* velocity, float* momentum_slot, float* average,
                      const float* g, std::size_t n, float lr, float rho, float momentum,
                      float epsilon) override;
  void adagrad_update(float* var, float* accumulator, const float* g, std::size_t n, float lr,
                      float epsilon) override;
  void nadam_update(float* var, float* m, float* v, const float* g, std::size_t n,
                    float one_minus_beta_1, float one_minus_beta_2, float m_scale, float g_scale,
                    float v_divisor, float lr, float epsilon) override;
  void augment_images(const ImageAugmentation& a, const ImageTransform* transforms, const void* x,
                      void* y) override;
};

}  // namespace keras::reference
