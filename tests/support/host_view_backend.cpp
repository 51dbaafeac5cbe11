#include "support/host_view_backend.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace keras::testing {
namespace {

// One host buffer mirrored on the device for the length of a call. Null stays null.
class Mirror {
 public:
  Mirror(Backend& device, const void* host, std::size_t bytes)
      : device_(device), host_(const_cast<void*>(host)), bytes_(bytes) {
    if (!host_) return;
    ptr_ = device_.allocate(std::max<std::size_t>(bytes_, 1));
    device_.copy_from_host(ptr_, host_, bytes_);
  }
  ~Mirror() { device_.deallocate(ptr_); }
  Mirror(const Mirror&) = delete;
  Mirror& operator=(const Mirror&) = delete;
  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }
  void* get() const { return ptr_; }
  void read_back() {
    if (host_) device_.copy_to_host(host_, ptr_, bytes_);
  }

 private:
  Backend& device_;
  void* host_;
  std::size_t bytes_;
  void* ptr_ = nullptr;
};

std::size_t floats(std::int64_t n) { return static_cast<std::size_t>(n) * sizeof(float); }

// The device copies of a grouped update's tensors: those it updates are read back after it.
class GroupMirrors {
 public:
  explicit GroupMirrors(Backend& device) : device_(device) {}
  float* updated(const float* host, std::size_t n) { return add(updated_, host, n); }
  const float* input(const float* host, std::size_t n) { return add(inputs_, host, n); }
  void read_back() {
    for (auto& m : updated_) m->read_back();
  }

 private:
  float* add(std::vector<std::unique_ptr<Mirror>>& into, const float* host, std::size_t n) {
    into.push_back(std::make_unique<Mirror>(device_, host, floats(static_cast<std::int64_t>(n))));
    return into.back()->as<float>();
  }
  Backend& device_;
  std::vector<std::unique_ptr<Mirror>> updated_, inputs_;
};

// The elements a broadcast operand spans: 1 + the largest offset its strides reach.
std::size_t span_of(const BroadcastSpec& s, const std::vector<std::int64_t>& strides) {
  std::int64_t last = 0;
  for (std::size_t k = 0; k < s.out_dims.size(); ++k) {
    if (s.out_dims[k] == 0) return 0;
    last += (s.out_dims[k] - 1) * strides[k];
  }
  return static_cast<std::size_t>(last + 1);
}

std::size_t elements_of(const BroadcastSpec& s) {
  std::size_t total = 1;
  for (auto d : s.out_dims) total *= static_cast<std::size_t>(d);
  return total;
}

std::size_t input_bytes(const Conv2DGeometry& g) {
  return static_cast<std::size_t>(g.batch * g.in_h * g.in_w * g.in_c) * size_of(g.dtype);
}
std::size_t output_bytes(const Conv2DGeometry& g) {
  return static_cast<std::size_t>(g.batch * g.out_h * g.out_w * g.out_c) * size_of(g.dtype);
}
std::size_t kernel_bytes(const Conv2DGeometry& g) {
  return static_cast<std::size_t>(g.kernel_h * g.kernel_w * (g.in_c / std::max<std::int64_t>(g.groups, 1)) * g.out_c) *
         size_of(g.dtype);
}

class HostView final : public Backend {
 public:
  explicit HostView(Backend& device) : d_(device) {}
  std::string name() const override { return "host view of " + d_.name(); }
  Device device() const override { return {DeviceKind::cpu, 0}; }
  bool host_addressable() const override { return true; }

  void* allocate(std::size_t bytes) override {
    void* p = std::malloc(std::max<std::size_t>(bytes, 1));
    if (!p) throw std::bad_alloc();
    return p;
  }
  void deallocate(void* ptr) noexcept override { std::free(ptr); }
  void copy_from_host(void* dst, const void* src, std::size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy_to_host(void* dst, const void* src, std::size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy(void* dst, const void* src, std::size_t bytes) override {
    Mirror s(d_, src, bytes), t(d_, dst, bytes);
    d_.copy(t.get(), s.get(), bytes);
    t.read_back();
  }
  void fill(float* y, std::size_t n, float value) override {
    Mirror t(d_, y, floats(n));
    d_.fill(t.as<float>(), n, value);
    t.read_back();
  }
  void cast(const void* x, DType from, void* y, DType to, std::size_t n) override {
    Mirror s(d_, x, n * size_of(from)), t(d_, y, n * size_of(to));
    d_.cast(s.get(), from, t.get(), to, n);
    t.read_back();
  }
  void random_uniform(float* y, std::size_t n, std::uint64_t seed, float low, float high) override {
    Mirror t(d_, y, floats(n));
    d_.random_uniform(t.as<float>(), n, seed, low, high);
    t.read_back();
  }
  void random_normal(float* y, std::size_t n, std::uint64_t seed, float mean, float stddev) override {
    Mirror t(d_, y, floats(n));
    d_.random_normal(t.as<float>(), n, seed, mean, stddev);
    t.read_back();
  }
  void dropout_mask(float* mask, std::size_t n, std::uint64_t seed, float rate) override {
    Mirror t(d_, mask, floats(n));
    d_.dropout_mask(t.as<float>(), n, seed, rate);
    t.read_back();
  }
  void unary(UnaryOp op, UnaryParams p, const float* x, float* y, std::size_t n) override {
    Mirror s(d_, x, floats(n)), t(d_, y, floats(n));
    d_.unary(op, p, s.as<float>(), t.as<float>(), n);
    t.read_back();
  }
  void unary_backward(UnaryOp op, UnaryParams p, const float* x, const float* y, const float* dy, float* dx,
                      std::size_t n) override {
    Mirror a(d_, x, floats(n)), b(d_, y, floats(n)), c(d_, dy, floats(n)), t(d_, dx, floats(n));
    d_.unary_backward(op, p, a.as<float>(), b.as<float>(), c.as<float>(), t.as<float>(), n);
    t.read_back();
  }
  void binary(BinaryOp op, const float* a, const float* b, float* y, const BroadcastSpec& spec) override {
    Mirror sa(d_, a, span_of(spec, spec.a_strides) * 4), sb(d_, b, span_of(spec, spec.b_strides) * 4);
    Mirror t(d_, y, elements_of(spec) * 4);
    d_.binary(op, sa.as<float>(), sb.as<float>(), t.as<float>(), spec);
    t.read_back();
  }
  void affine(const float* x, float* y, std::size_t n, float scale, float shift) override {
    Mirror s(d_, x, floats(n)), t(d_, y, floats(n));
    d_.affine(s.as<float>(), t.as<float>(), n, scale, shift);
    t.read_back();
  }
  void select_mask(BinaryOp op, const float* a, const float* b, float* mask_a, const BroadcastSpec& spec) override {
    Mirror sa(d_, a, span_of(spec, spec.a_strides) * 4), sb(d_, b, span_of(spec, spec.b_strides) * 4);
    Mirror t(d_, mask_a, elements_of(spec) * 4);
    d_.select_mask(op, sa.as<float>(), sb.as<float>(), t.as<float>(), spec);
    t.read_back();
  }
  void reduce_sum(const float* x, float* y, std::int64_t outer, std::int64_t mid, std::int64_t inner) override {
    Mirror s(d_, x, floats(outer * mid * inner)), t(d_, y, floats(outer * inner));
    d_.reduce_sum(s.as<float>(), t.as<float>(), outer, mid, inner);
    t.read_back();
  }
  void reduce_max(const float* x, float* y, std::int32_t* argmax, std::int64_t outer, std::int64_t mid,
                  std::int64_t inner) override {
    Mirror s(d_, x, floats(outer * mid * inner)), t(d_, y, floats(outer * inner)), a(d_, argmax, floats(outer * inner));
    d_.reduce_max(s.as<float>(), t.as<float>(), a.as<std::int32_t>(), outer, mid, inner);
    t.read_back();
    a.read_back();
  }
  void expand_mid(const float* x, float* y, std::int64_t outer, std::int64_t mid, std::int64_t inner,
                  float scale) override {
    Mirror s(d_, x, floats(outer * inner)), t(d_, y, floats(outer * mid * inner));
    d_.expand_mid(s.as<float>(), t.as<float>(), outer, mid, inner, scale);
    t.read_back();
  }
  void scatter_argmax(const float* dy, const std::int32_t* argmax, float* dx, std::int64_t outer, std::int64_t mid,
                      std::int64_t inner) override {
    Mirror s(d_, dy, floats(outer * inner)), a(d_, argmax, floats(outer * inner)), t(d_, dx, floats(outer * mid * inner));
    d_.scatter_argmax(s.as<float>(), a.as<std::int32_t>(), t.as<float>(), outer, mid, inner);
    t.read_back();
  }
  void copy_rows(const float* src, std::int64_t src_stride, std::int64_t src_offset, float* dst,
                 std::int64_t dst_stride, std::int64_t dst_offset, std::int64_t rows, std::int64_t len,
                 bool accumulate) override {
    if (rows == 0 || len == 0) return;
    Mirror s(d_, src, floats((rows - 1) * src_stride + src_offset + len));
    Mirror t(d_, dst, floats((rows - 1) * dst_stride + dst_offset + len));
    d_.copy_rows(s.as<float>(), src_stride, src_offset, t.as<float>(), dst_stride, dst_offset, rows, len, accumulate);
    t.read_back();
  }
  void gather_rows(const void* src, std::size_t row_bytes, const std::int64_t* rows, std::size_t count,
                   void* dst) override {
    std::int64_t top = -1;
    for (std::size_t i = 0; i < count; ++i) top = std::max(top, rows[i]);
    Mirror s(d_, src, static_cast<std::size_t>(top + 1) * row_bytes), t(d_, dst, count * row_bytes);
    d_.gather_rows(s.get(), row_bytes, rows, count, t.get());  // rows stay host memory, as the contract says
    t.read_back();
  }
  void transpose(const void* x, void* y, std::size_t elem_bytes, const std::vector<std::int64_t>& dims,
                 const std::vector<int>& perm) override {
    std::size_t n = elem_bytes;
    for (auto d : dims) n *= static_cast<std::size_t>(d);
    Mirror s(d_, x, n), t(d_, y, n);
    d_.transpose(s.get(), t.get(), elem_bytes, dims, perm);
    t.read_back();
  }
  void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
            const void* a, const void* b, float beta, void* c, DType dtype) override {
    const std::size_t es = size_of(dtype);
    Mirror sa(d_, a, static_cast<std::size_t>(m * k) * es), sb(d_, b, static_cast<std::size_t>(k * n) * es);
    Mirror t(d_, c, static_cast<std::size_t>(m * n) * es);
    d_.gemm(transpose_a, transpose_b, m, n, k, alpha, sa.get(), sb.get(), beta, t.get(), dtype);
    t.read_back();
  }
  void bias_add(const float* x, const float* bias, float* y, std::int64_t rows, std::int64_t cols,
                FusedActivation act) override {
    Mirror s(d_, x, floats(rows * cols)), b(d_, bias, floats(cols)), t(d_, y, floats(rows * cols));
    d_.bias_add(s.as<float>(), b.as<float>(), t.as<float>(), rows, cols, act);
    t.read_back();
  }
  void conv2d_forward(const Conv2DGeometry& g, const void* x, const void* w, const void* bias, FusedActivation act,
                      void* y) override {
    Mirror sx(d_, x, input_bytes(g)), sw(d_, w, kernel_bytes(g)), sb(d_, bias, static_cast<std::size_t>(g.out_c) * size_of(g.dtype));
    Mirror t(d_, y, output_bytes(g));
    d_.conv2d_forward(g, sx.get(), sw.get(), sb.get(), act, t.get());
    t.read_back();
  }
  void conv2d_backward_data(const Conv2DGeometry& g, const void* dy, const void* w, void* dx) override {
    Mirror s(d_, dy, output_bytes(g)), sw(d_, w, kernel_bytes(g)), t(d_, dx, input_bytes(g));
    d_.conv2d_backward_data(g, s.get(), sw.get(), t.get());
    t.read_back();
  }
  void conv2d_backward_filter(const Conv2DGeometry& g, const void* x, const void* dy, void* dw) override {
    Mirror sx(d_, x, input_bytes(g)), s(d_, dy, output_bytes(g)), t(d_, dw, kernel_bytes(g));
    d_.conv2d_backward_filter(g, sx.get(), s.get(), t.get());
    t.read_back();
  }
  void pool2d_forward(PoolMode mode, const Pool2DGeometry& g, const float* x, float* y) override {
    Mirror s(d_, x, floats(g.batch * g.in_h * g.in_w * g.channels)), t(d_, y, floats(g.batch * g.out_h * g.out_w * g.channels));
    d_.pool2d_forward(mode, g, s.as<float>(), t.as<float>());
    t.read_back();
  }
  void pool2d_backward(PoolMode mode, const Pool2DGeometry& g, const float* x, const float* y, const float* dy,
                       float* dx) override {
    const auto in = floats(g.batch * g.in_h * g.in_w * g.channels), out = floats(g.batch * g.out_h * g.out_w * g.channels);
    Mirror sx(d_, x, in), sy(d_, y, out), sdy(d_, dy, out), t(d_, dx, in);
    d_.pool2d_backward(mode, g, sx.as<float>(), sy.as<float>(), sdy.as<float>(), t.as<float>());
    t.read_back();
  }
  void pad2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c, std::int64_t top,
             std::int64_t bottom, std::int64_t left, std::int64_t right, float value) override {
    Mirror s(d_, x, floats(n * h * w * c)), t(d_, y, floats(n * (h + top + bottom) * (w + left + right) * c));
    d_.pad2d(s.as<float>(), t.as<float>(), n, h, w, c, top, bottom, left, right, value);
    t.read_back();
  }
  void crop2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c, std::int64_t top,
              std::int64_t bottom, std::int64_t left, std::int64_t right) override {
    Mirror s(d_, x, floats(n * h * w * c)), t(d_, y, floats(n * (h - top - bottom) * (w - left - right) * c));
    d_.crop2d(s.as<float>(), t.as<float>(), n, h, w, c, top, bottom, left, right);
    t.read_back();
  }
  void resize2d_forward(Interpolation mode, const float* x, std::int64_t n, std::int64_t h, std::int64_t w,
                        std::int64_t c, float* y, std::int64_t out_h, std::int64_t out_w) override {
    Mirror s(d_, x, floats(n * h * w * c)), t(d_, y, floats(n * out_h * out_w * c));
    d_.resize2d_forward(mode, s.as<float>(), n, h, w, c, t.as<float>(), out_h, out_w);
    t.read_back();
  }
  void resize2d_backward(Interpolation mode, const float* dy, std::int64_t n, std::int64_t h, std::int64_t w,
                         std::int64_t c, float* dx, std::int64_t out_h, std::int64_t out_w) override {
    Mirror s(d_, dy, floats(n * out_h * out_w * c)), t(d_, dx, floats(n * h * w * c));
    d_.resize2d_backward(mode, s.as<float>(), n, h, w, c, t.as<float>(), out_h, out_w);
    t.read_back();
  }
  void batch_norm_training(const float* x, const float* gamma, const float* beta, std::int64_t rows,
                           std::int64_t channels, float epsilon, float* y, float* mean, float* variance) override {
    Mirror sx(d_, x, floats(rows * channels)), sg(d_, gamma, floats(channels)), sb(d_, beta, floats(channels));
    Mirror t(d_, y, floats(rows * channels)), tm(d_, mean, floats(channels)), tv(d_, variance, floats(channels));
    d_.batch_norm_training(sx.as<float>(), sg.as<float>(), sb.as<float>(), rows, channels, epsilon, t.as<float>(),
                           tm.as<float>(), tv.as<float>());
    t.read_back();
    tm.read_back();
    tv.read_back();
  }
  void batch_norm_inference(const float* x, const float* gamma, const float* beta, const float* mean,
                            const float* variance, std::int64_t rows, std::int64_t channels, float epsilon,
                            float* y) override {
    Mirror sx(d_, x, floats(rows * channels)), sg(d_, gamma, floats(channels)), sb(d_, beta, floats(channels));
    Mirror sm(d_, mean, floats(channels)), sv(d_, variance, floats(channels)), t(d_, y, floats(rows * channels));
    d_.batch_norm_inference(sx.as<float>(), sg.as<float>(), sb.as<float>(), sm.as<float>(), sv.as<float>(), rows,
                            channels, epsilon, t.as<float>());
    t.read_back();
  }
  void batch_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean,
                           const float* variance, std::int64_t rows, std::int64_t channels, float epsilon, float* dx,
                           float* dgamma, float* dbeta) override {
    Mirror sdy(d_, dy, floats(rows * channels)), sx(d_, x, floats(rows * channels)), sg(d_, gamma, floats(channels));
    Mirror sm(d_, mean, floats(channels)), sv(d_, variance, floats(channels));
    Mirror t(d_, dx, floats(rows * channels)), tg(d_, dgamma, floats(channels)), tb(d_, dbeta, floats(channels));
    d_.batch_norm_backward(sdy.as<float>(), sx.as<float>(), sg.as<float>(), sm.as<float>(), sv.as<float>(), rows,
                           channels, epsilon, t.as<float>(), tg.as<float>(), tb.as<float>());
    t.read_back();
    tg.read_back();
    tb.read_back();
  }
  void softmax_forward(const float* x, float* y, std::int64_t rows, std::int64_t cols, bool log) override {
    Mirror s(d_, x, floats(rows * cols)), t(d_, y, floats(rows * cols));
    d_.softmax_forward(s.as<float>(), t.as<float>(), rows, cols, log);
    t.read_back();
  }
  void softmax_backward(const float* y, const float* dy, float* dx, std::int64_t rows, std::int64_t cols,
                        bool log) override {
    Mirror sy(d_, y, floats(rows * cols)), sdy(d_, dy, floats(rows * cols)), t(d_, dx, floats(rows * cols));
    d_.softmax_backward(sy.as<float>(), sdy.as<float>(), t.as<float>(), rows, cols, log);
    t.read_back();
  }
  void one_hot(const std::int32_t* labels, std::size_t n, std::int64_t depth, float* y, std::int32_t* invalid) override {
    Mirror s(d_, labels, n * 4), t(d_, y, floats(static_cast<std::int64_t>(n) * depth)), c(d_, invalid, 4);
    d_.one_hot(s.as<std::int32_t>(), n, depth, t.as<float>(), c.as<std::int32_t>());
    t.read_back();
    c.read_back();
  }
  void adam_update(float* var, float* m, float* v, float* v_max, const float* g, std::size_t n, float alpha,
                   float b1, float b2, float epsilon) override {
    Mirror a(d_, var, floats(n)), b(d_, m, floats(n)), c(d_, v, floats(n)), e(d_, v_max, floats(n)), s(d_, g, floats(n));
    d_.adam_update(a.as<float>(), b.as<float>(), c.as<float>(), e.as<float>(), s.as<float>(), n, alpha, b1, b2, epsilon);
    a.read_back(), b.read_back(), c.read_back(), e.read_back();
  }
  void sgd_update(float* var, float* m, const float* g, std::size_t n, float lr, float momentum, bool nesterov) override {
    Mirror a(d_, var, floats(n)), b(d_, m, floats(n)), s(d_, g, floats(n));
    d_.sgd_update(a.as<float>(), b.as<float>(), s.as<float>(), n, lr, momentum, nesterov);
    a.read_back(), b.read_back();
  }
  // The grouped updates mirror every tensor of the group and make the device's one grouped call.
  void adam_update_group(const AdamTensors* tensors, std::size_t count, float alpha, float b1, float b2,
                         float epsilon) override {
    GroupMirrors mirrors(d_);
    std::vector<AdamTensors> device(count);
    for (std::size_t i = 0; i < count; ++i) {
      const AdamTensors& t = tensors[i];
      device[i] = {mirrors.updated(t.var, t.n), mirrors.updated(t.m, t.n), mirrors.updated(t.v, t.n),
                   mirrors.updated(t.v_max, t.n), mirrors.input(t.g, t.n), t.n};
    }
    d_.adam_update_group(device.data(), count, alpha, b1, b2, epsilon);
    mirrors.read_back();
  }
  void sgd_update_group(const SgdTensors* tensors, std::size_t count, float lr, float momentum,
                        bool nesterov) override {
    GroupMirrors mirrors(d_);
    std::vector<SgdTensors> device(count);
    for (std::size_t i = 0; i < count; ++i) {
      const SgdTensors& t = tensors[i];
      device[i] = {mirrors.updated(t.var, t.n), mirrors.updated(t.m, t.n), mirrors.input(t.g, t.n), t.n};
    }
    d_.sgd_update_group(device.data(), count, lr, momentum, nesterov);
    mirrors.read_back();
  }
  void rmsprop_update(float* var, float* velocity, float* momentum_slot, float* average, const float* g, std::size_t n,
                      float lr, float rho, float momentum, float epsilon) override {
    Mirror a(d_, var, floats(n)), b(d_, velocity, floats(n)), c(d_, momentum_slot, floats(n)), e(d_, average, floats(n));
    Mirror s(d_, g, floats(n));
    d_.rmsprop_update(a.as<float>(), b.as<float>(), c.as<float>(), e.as<float>(), s.as<float>(), n, lr, rho, momentum, epsilon);
    a.read_back(), b.read_back(), c.read_back(), e.read_back();
  }
  void adagrad_update(float* var, float* accumulator, const float* g, std::size_t n, float lr, float epsilon) override {
    Mirror a(d_, var, floats(n)), b(d_, accumulator, floats(n)), s(d_, g, floats(n));
    d_.adagrad_update(a.as<float>(), b.as<float>(), s.as<float>(), n, lr, epsilon);
    a.read_back(), b.read_back();
  }
  void nadam_update(float* var, float* m, float* v, const float* g, std::size_t n, float b1, float b2, float m_scale,
                    float g_scale, float v_divisor, float lr, float epsilon) override {
    Mirror a(d_, var, floats(n)), b(d_, m, floats(n)), c(d_, v, floats(n)), s(d_, g, floats(n));
    d_.nadam_update(a.as<float>(), b.as<float>(), c.as<float>(), s.as<float>(), n, b1, b2, m_scale, g_scale, v_divisor, lr,
                    epsilon);
    a.read_back(), b.read_back(), c.read_back();
  }

  void augment_images(const ImageAugmentation& a, const ImageTransform* transforms, const void* x,
                      void* y) override {
    const auto values = static_cast<std::size_t>(a.batch * a.height * a.width * a.channels);
    Mirror s(d_, x, values * size_of(a.source)), t(d_, y, values * size_of(a.result));
    d_.augment_images(a, transforms, s.get(), t.get());  // transforms stay host memory, as the contract says
    t.read_back();
  }

 private:
  Backend& d_;
};

}  // namespace

std::unique_ptr<Backend> make_host_view(Backend& device) { return std::make_unique<HostView>(device); }

}  // namespace keras::testing
