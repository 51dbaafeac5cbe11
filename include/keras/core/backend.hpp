#pragma once
// The kernel interface every backend implements (reference, cpu, cuda). It knows nothing of
// layers or autograd: float32 kernels over memory the backend allocated, in NHWC layout with
// Keras' HWIO convolution kernels; matrix products and convolutions also take 16-bit storage
// (mixed precision). Pointers are device pointers of that backend: only the
// backend dereferences them. docs/backend_contract.md is the full contract (queue order,
// synchronization points, threads); in short:
//  - Every call that takes device pointers enqueues work on the backend's one ordered queue and
//    may return before the work is done. Host backends run it at once.
//  - Host arguments (values, geometry structs, `rows` of gather_rows, the source of
//    copy_from_host) are consumed before the call returns; the caller may reuse them at once.
//  - copy_to_host and synchronize return only when all enqueued work is done; they are the
//    synchronization points. deallocate is queue-ordered: work already enqueued on the memory
//    still sees it.
//  - Calls may come from any thread; work enqueued from two threads is ordered only by what
//    orders the enqueues. The engine runs a model from one thread; fit's data workers make
//    fresh batch tensors (uploads, gathers) and hand them over under a lock.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keras/core/dtype.hpp"

namespace keras {

// Where a backend's memory lives. `emulated` is the device-like test backend (host memory the
// host must not touch); `index` tells devices of one kind apart ("cuda:1").
enum class DeviceKind : std::uint8_t { cpu, cuda, emulated };
struct Device {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;
  friend bool operator==(const Device&, const Device&) = default;
};
// "cpu", "cuda:1", "emulated:0" (cpu has one device and prints without an index).
std::string to_string(Device device);

// What a backend was asked to do on the host's behalf; a device-like backend counts these, so a
// test can prove that training does not wait on the device once per batch.
struct SyncCounts {
  std::uint64_t synchronizations = 0;  // synchronize() and every copy_to_host (which waits)
  std::uint64_t host_reads = 0;        // copy_to_host calls
};

// Element-wise functions. Parameters (alpha, beta, gamma) per op:
//   relu: alpha = negative_slope, beta = threshold, gamma = max_value (Keras' ReLU layer)
//   elu: alpha;  leaky_relu: alpha = negative_slope;  clip: [alpha, beta]
//   pow_scalar: x^alpha
enum class UnaryOp : std::uint8_t {
  relu, elu, leaky_relu, gelu, sigmoid, tanh, exp, log, sqrt, square, abs, neg, clip, reciprocal,
};
struct UnaryParams {
  float alpha = 0.0f;
  float beta = 0.0f;
  float gamma = 0.0f;
};

// greater and equal give 1 or 0 (0 when either side is NaN), as NumPy's comparisons.
enum class BinaryOp : std::uint8_t { add, subtract, multiply, divide, maximum, minimum, greater, equal };

// NumPy broadcasting of two operands to `out_dims`; a stride of 0 repeats an element.
struct BroadcastSpec {
  std::vector<std::int64_t> out_dims;
  std::vector<std::int64_t> a_strides;
  std::vector<std::int64_t> b_strides;
};

// Bytes of tensor storage alive on a backend, and the most alive at once since the last
// reset_peak_memory(): what a training step's activations cost.
struct MemoryStats {
  std::int64_t live_bytes = 0;
  std::int64_t peak_bytes = 0;
};

// A 2-D convolution, NHWC input, (kh, kw, in/groups, out) kernel, NHWC output.
struct Conv2DGeometry {
  std::int64_t batch = 0, in_h = 0, in_w = 0, in_c = 0;
  std::int64_t kernel_h = 0, kernel_w = 0, out_c = 0;
  std::int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  std::int64_t pad_top = 0, pad_left = 0;  // bottom/right padding follows from out_h/out_w
  std::int64_t out_h = 0, out_w = 0;
  std::int64_t groups = 1;
  // The storage type of every operand and result (x, w, bias, y, dy, dx, dw): float32,
  // bfloat16 or float16; sums accumulate in float32 whatever it is, results are rounded once.
  DType dtype = DType::float32;
};

enum class PoolMode : std::uint8_t { max, average };

// 2-D pooling, NHWC. Average pooling divides by the number of non-padded inputs (Keras/TF).
struct Pool2DGeometry {
  std::int64_t batch = 0, in_h = 0, in_w = 0, channels = 0;
  std::int64_t pool_h = 0, pool_w = 0, stride_h = 0, stride_w = 0;
  std::int64_t pad_top = 0, pad_left = 0;
  std::int64_t out_h = 0, out_w = 0;
};

enum class Interpolation : std::uint8_t { nearest, bilinear };

// Epilogue fused into a convolution (or any producer): y = act(conv(x) + bias).
enum class FusedActivation : std::uint8_t { none, relu };

// One variable of a grouped optimizer update (adam_update_group, sgd_update_group): pointers
// into the backend's memory, as the per-variable update takes them.
struct AdamTensors {
  float* var = nullptr;
  float* m = nullptr;
  float* v = nullptr;
  float* v_max = nullptr;  // null unless amsgrad
  const float* g = nullptr;
  std::size_t n = 0;
};
struct SgdTensors {
  float* var = nullptr;
  float* m = nullptr;  // null when momentum is 0
  const float* g = nullptr;
  std::size_t n = 0;
};

// ImageDataGenerator's per-image work (keras/src/legacy/preprocessing/image.py), batched: one
// affine resampling as scipy.ndimage.affine_transform does it, the flips, then standardize's
// rescale and featurewise mean and std. The transforms are drawn on the host (Keras' numpy
// draws); only the pixels are the backend's.
enum class ImageFill : std::uint8_t { constant, nearest, reflect, wrap };
// One image's transform. Output pixel (r, c) reads the affine result at (h-1-r if
// flip_vertical, w-1-c if flip_horizontal); that result samples the source at
// (m[0] r + m[1] c + m[2], m[3] r + m[4] c + m[5]), or is the source pixel itself when !affine.
struct ImageTransform {
  double m[6] = {1.0, 0.0, 0.0, 0.0, 1.0, 0.0};
  bool affine = false;
  bool flip_horizontal = false;
  bool flip_vertical = false;
};
// y (batch, height, width, channels) of `result` = standardize(transform_i(x_i)) for each image i
// of x (same shape, uint8 or float32). Sampling is in double from the source values, rounded
// once to float32; then v * rescale, v - mean[c], v / (std[c] + 1e-6f) in float32 (each when
// enabled; mean and std need channels <= 4), then one rounding to `result`.
struct ImageAugmentation {
  std::int64_t batch = 0, height = 0, width = 0, channels = 0;
  DType source = DType::uint8;
  DType result = DType::float32;  // float32, bfloat16 or float16
  ImageFill fill = ImageFill::nearest;
  int interpolation_order = 1;  // 0 nearest, 1 bilinear (scipy's spline orders)
  double cval = 0.0;            // the value outside the image when fill is constant
  bool rescale = false;
  float rescale_factor = 1.0f;
  bool center = false;
  float mean[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  bool normalize = false;
  float std[4] = {0.0f, 0.0f, 0.0f, 0.0f};
};

// A recording of enqueued work that a backend can run again (a CUDA graph): made by
// end_capture, run by replay, and holding the memory its work uses until it is destroyed.
class CapturedWork {
 public:
  virtual ~CapturedWork() = default;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // The registry name ("cpu", "cuda:1"); name() + ":" + index for a device other than 0.
  virtual std::string name() const = 0;
  virtual Device device() const = 0;
  // Whether the host may read this backend's memory directly once synchronized (host backends);
  // false for device memory.
  virtual bool host_addressable() const = 0;
  // Waits until every enqueued kernel and copy has finished; rethrows the first error a queued
  // kernel raised (as a BackendError naming the kernel).
  virtual void synchronize() {}
  virtual SyncCounts sync_counts() const { return {}; }
  // Tensor storage on this backend (counted by the tensors that own it, whatever the backend).
  MemoryStats memory_stats() const;
  void reset_peak_memory();
  void note_tensor_allocated(std::size_t bytes);  // called by tensor storage only
  void note_tensor_freed(std::size_t bytes);

  // --- capture and replay (docs/backend_contract.md, "Capture") ------------------------
  // Whether this backend records work for replay. Between begin_capture and end_capture the
  // calling thread's work is recorded, not run: it must not read values on the host or
  // synchronize (a BackendError says so). Host arguments are consumed as usual; an upload
  // becomes part of the recording (the same bytes again at every replay). Memory allocated or
  // freed while recording stays reserved for the recording until it is destroyed, so that a
  // replay writes only memory it owns or memory still alive outside it. Other threads' work
  // runs as before.
  virtual bool supports_capture() const { return false; }
  virtual void begin_capture();
  virtual std::unique_ptr<CapturedWork> end_capture();
  // Ends a capture that failed midway and drops what it recorded.
  virtual void abort_capture() noexcept {}
  // Enqueues the recorded work once more, in queue order with everything else.
  virtual void replay(CapturedWork& work);

  // --- memory -------------------------------------------------------------------------
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void deallocate(void* ptr) noexcept = 0;
  virtual void copy_from_host(void* dst, const void* host_src, std::size_t bytes) = 0;
  // Synchronizes, then copies.
  virtual void copy_to_host(void* host_dst, const void* src, std::size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, std::size_t bytes) = 0;
  // dst (memory of `dst_backend`) = src (this backend's memory). The default stages through a
  // host buffer, except between two host-addressable backends (one memcpy); device backends
  // that can copy peer to peer override it.
  virtual void copy_to_backend(Backend& dst_backend, void* dst, const void* src, std::size_t bytes);
  virtual void fill(float* y, std::size_t n, float value) = 0;
  virtual void cast(const void* x, DType from, void* y, DType to, std::size_t n) = 0;

  // --- random numbers: counter-based, so every backend draws the same numbers ------------
  virtual void random_uniform(float* y, std::size_t n, std::uint64_t seed, float low,
                              float high) = 0;
  virtual void random_normal(float* y, std::size_t n, std::uint64_t seed, float mean,
                             float stddev) = 0;
  // mask[i] = 1/(1-rate) with probability 1-rate, else 0.
  virtual void dropout_mask(float* mask, std::size_t n, std::uint64_t seed, float rate) = 0;
  // The same draws with the seed read from this backend's memory when the kernel runs, so a
  // replayed capture draws anew each step. The default reads the seed on the host (it
  // synchronizes), which is free on host backends.
  virtual void random_uniform_at(float* y, std::size_t n, const std::uint64_t* seed, float low, float high);
  virtual void random_normal_at(float* y, std::size_t n, const std::uint64_t* seed, float mean, float stddev);
  virtual void dropout_mask_at(float* mask, std::size_t n, const std::uint64_t* seed, float rate);

  // --- element-wise ---------------------------------------------------------------------
  virtual void unary(UnaryOp op, UnaryParams p, const float* x, float* y, std::size_t n) = 0;
  // dx = dy * f'(x); y = f(x) is passed too since some derivatives are cheaper from it.
  virtual void unary_backward(UnaryOp op, UnaryParams p, const float* x, const float* y,
                              const float* dy, float* dx, std::size_t n) = 0;
  virtual void binary(BinaryOp op, const float* a, const float* b, float* y,
                      const BroadcastSpec& spec) = 0;
  // y = scale * x + shift
  virtual void affine(const float* x, float* y, std::size_t n, float scale, float shift) = 0;
  // y = (x == argmax-target) for max/minimum backward: mask[i] = 1 where a selects a.
  virtual void select_mask(BinaryOp op, const float* a, const float* b, float* mask_a,
                           const BroadcastSpec& spec) = 0;

  // --- reductions over the middle axis of an (outer, mid, inner) view -------------------
  virtual void reduce_sum(const float* x, float* y, std::int64_t outer, std::int64_t mid,
                          std::int64_t inner) = 0;
  virtual void reduce_max(const float* x, float* y, std::int32_t* argmax, std::int64_t outer,
                          std::int64_t mid, std::int64_t inner) = 0;
  // y[o, m, i] = scale * x[o, i]  (backward of a sum/mean)
  virtual void expand_mid(const float* x, float* y, std::int64_t outer, std::int64_t mid,
                          std::int64_t inner, float scale) = 0;
  // dx[o, argmax[o, i], i] = dy[o, i], zero elsewhere (backward of a max)
  virtual void scatter_argmax(const float* dy, const std::int32_t* argmax, float* dx,
                              std::int64_t outer, std::int64_t mid, std::int64_t inner) = 0;

  // --- copies of row blocks: dst[r*dst_stride + dst_offset + j] (+)= src[r*src_stride + src_offset + j]
  virtual void copy_rows(const float* src, std::int64_t src_stride, std::int64_t src_offset,
                         float* dst, std::int64_t dst_stride, std::int64_t dst_offset,
                         std::int64_t rows, std::int64_t len, bool accumulate) = 0;

  // dst row i = src row rows[i], rows of row_bytes bytes (any dtype); `rows` is host memory.
  virtual void gather_rows(const void* src, std::size_t row_bytes, const std::int64_t* rows,
                           std::size_t count, void* dst) = 0;

  // y = x with its axes permuted: y's axis i is x's axis perm[i]; `dims` is x's shape, elements
  // are of elem_bytes bytes (any dtype). `dims` and `perm` are host memory, read during the call.
  virtual void transpose(const void* x, void* y, std::size_t elem_bytes, const std::vector<std::int64_t>& dims,
                         const std::vector<int>& perm) = 0;

  // --- linear algebra (row-major) -------------------------------------------------------
  // c = alpha * op(a) @ op(b) + beta * c, op(a): (m, k), op(b): (k, n); a, b and c are all of
  // `dtype` (float32, bfloat16 or float16), accumulated in float32.
  virtual void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n,
                    std::int64_t k, float alpha, const void* a, const void* b, float beta,
                    void* c, DType dtype) = 0;
  // y[r, j] = act(x[r, j] + bias[j])
  virtual void bias_add(const float* x, const float* bias, float* y, std::int64_t rows,
                        std::int64_t cols, FusedActivation act) = 0;

  // --- convolution (every operand of g.dtype) --------------------------------------------
  // bias may be null. y = act(conv(x, w) + bias)
  virtual void conv2d_forward(const Conv2DGeometry& g, const void* x, const void* w,
                              const void* bias, FusedActivation act, void* y) = 0;
  virtual void conv2d_backward_data(const Conv2DGeometry& g, const void* dy, const void* w,
                                    void* dx) = 0;
  virtual void conv2d_backward_filter(const Conv2DGeometry& g, const void* x, const void* dy,
                                      void* dw) = 0;

  // --- pooling, padding, resizing (NHWC) ------------------------------------------------
  virtual void pool2d_forward(PoolMode mode, const Pool2DGeometry& g, const float* x,
                              float* y) = 0;
  virtual void pool2d_backward(PoolMode mode, const Pool2DGeometry& g, const float* x,
                               const float* y, const float* dy, float* dx) = 0;
  // y (n, h+top+bottom, w+left+right, c) = x surrounded by `value`
  virtual void pad2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w,
                     std::int64_t c, std::int64_t top, std::int64_t bottom, std::int64_t left,
                     std::int64_t right, float value) = 0;
  // y (n, h-top-bottom, w-left-right, c) = the inner window of x
  virtual void crop2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w,
                      std::int64_t c, std::int64_t top, std::int64_t bottom, std::int64_t left,
                      std::int64_t right) = 0;
  // TensorFlow's half-pixel-centre resize (what Keras' Resizing layer does).
  virtual void resize2d_forward(Interpolation mode, const float* x, std::int64_t n,
                                std::int64_t h, std::int64_t w, std::int64_t c, float* y,
                                std::int64_t out_h, std::int64_t out_w) = 0;
  virtual void resize2d_backward(Interpolation mode, const float* dy, std::int64_t n,
                                 std::int64_t h, std::int64_t w, std::int64_t c, float* dx,
                                 std::int64_t out_h, std::int64_t out_w) = 0;

  // --- batch normalization over a (rows, channels) view --------------------------------
  // Training: normalizes with the batch mean and biased variance, which it also returns.
  virtual void batch_norm_training(const float* x, const float* gamma, const float* beta,
                                   std::int64_t rows, std::int64_t channels, float epsilon,
                                   float* y, float* mean, float* variance) = 0;
  virtual void batch_norm_inference(const float* x, const float* gamma, const float* beta,
                                    const float* mean, const float* variance,
                                    std::int64_t rows, std::int64_t channels, float epsilon,
                                    float* y) = 0;
  // Backward of the training form (batch statistics depend on x).
  virtual void batch_norm_backward(const float* dy, const float* x, const float* gamma,
                                   const float* mean, const float* variance, std::int64_t rows,
                                   std::int64_t channels, float epsilon, float* dx,
                                   float* dgamma, float* dbeta) = 0;

  // --- softmax over the last axis of a (rows, cols) view --------------------------------
  virtual void softmax_forward(const float* x, float* y, std::int64_t rows, std::int64_t cols,
                               bool log) = 0;
  virtual void softmax_backward(const float* y, const float* dy, float* dx, std::int64_t rows,
                                std::int64_t cols, bool log) = 0;

  // --- labels ---------------------------------------------------------------------------
  // y (n, depth) = one-hot of integer labels. A label outside [0, depth) leaves its row zero;
  // *invalid (one int32 of this backend's memory) receives how many there were, so the range
  // check waits for the next synchronization instead of reading the labels on the host now.
  virtual void one_hot(const std::int32_t* labels, std::size_t n, std::int64_t depth, float* y,
                       std::int32_t* invalid) = 0;

  // The same updates for a group of variables with the same scalars: one pass over all of them
  // (one launch on a GPU instead of one per variable). `tensors` (count of them) is host memory,
  // consumed before the call returns. Each variable's values are exactly the per-variable
  // update's; the default runs the per-variable updates in turn.
  virtual void adam_update_group(const AdamTensors* tensors, std::size_t count, float alpha, float one_minus_beta_1,
                                 float one_minus_beta_2, float epsilon);
  virtual void sgd_update_group(const SgdTensors* tensors, std::size_t count, float lr, float momentum,
                                bool nesterov);
  // The same with the step's learning-rate scalar (Adam's alpha, SGD's lr) read from this
  // backend's memory when the kernel runs, so that a replayed capture uses each step's value.
  // `gate`, when not null, is also read then: 0 leaves every variable and slot as it was (a
  // loss-scaled step whose gradients are not all finite is skipped on the device). The default
  // reads both on the host (it synchronizes), which is free on host backends.
  virtual void adam_update_group_at(const AdamTensors* tensors, std::size_t count, const float* alpha,
                                    const float* gate, float one_minus_beta_1, float one_minus_beta_2,
                                    float epsilon);
  virtual void sgd_update_group_at(const SgdTensors* tensors, std::size_t count, const float* lr, const float* gate,
                                   float momentum, bool nesterov);

  // --- image augmentation ------------------------------------------------------------
  // `transforms` (a.batch of them) is host memory, consumed before the call returns.
  virtual void augment_images(const ImageAugmentation& a, const ImageTransform* transforms, const void* x,
                              void* y) = 0;

  // --- optimizer updates, one pass over each variable ------------------------------------
  // Each is the exact float32 operation sequence of Keras' update, element by element, so
  // every backend rounds alike. Adam (v_max null unless amsgrad):
  //   m += (g - m) * one_minus_beta_1;  v += (g*g - v) * one_minus_beta_2;
  //   v_max = max(v_max, v);  var -= m * alpha / (sqrt(v or v_max) + epsilon)
  virtual void adam_update(float* var, float* m, float* v, float* v_max, const float* g,
                           std::size_t n, float alpha, float one_minus_beta_1,
                           float one_minus_beta_2, float epsilon) = 0;
  // SGD: momentum 0: var -= g * lr; else m = m * momentum - g * lr, then
  //   var += m (or, nesterov: var = var + m * momentum - g * lr)
  virtual void sgd_update(float* var, float* m, const float* g, std::size_t n, float lr,
                          float momentum, bool nesterov) = 0;
  // RMSprop (momentum_slot null when momentum is 0, average null unless centered):
  //   velocity = velocity * rho + g*g * (1 - rho);  average = average * rho + g * (1 - rho);
  //   increment = g * lr / sqrt(velocity (- average^2) + epsilon);
  //   momentum_slot = momentum_slot * momentum + increment;  var -= momentum_slot or increment
  virtual void rmsprop_update(float* var, float* velocity, float* momentum_slot, float* average,
                              const float* g, std::size_t n, float lr, float rho,
                              float momentum, float epsilon) = 0;
  // Adagrad: accumulator += g*g;  var -= g * lr / sqrt(accumulator + epsilon)
  virtual void adagrad_update(float* var, float* accumulator, const float* g, std::size_t n,
                              float lr, float epsilon) = 0;
  // Nadam, with the step's scalars computed by the optimizer:
  //   m += (g - m) * one_minus_beta_1;  v += (g*g - v) * one_minus_beta_2;
  //   var -= (m * m_scale + g * g_scale) * lr / (sqrt(v / v_divisor) + epsilon)
  virtual void nadam_update(float* var, float* m, float* v, const float* g, std::size_t n,
                            float one_minus_beta_1, float one_minus_beta_2, float m_scale,
                            float g_scale, float v_divisor, float lr, float epsilon) = 0;
  // The same with the step's scalars read from this backend's memory when the kernel runs, and
  // an optional gate, as the grouped `_at` updates (a replayed capture; the defaults read both
  // on the host). Nadam's `scalars` are four consecutive floats: m_scale, g_scale, v_divisor, lr.
  virtual void rmsprop_update_at(float* var, float* velocity, float* momentum_slot, float* average, const float* g,
                                 std::size_t n, const float* lr, const float* gate, float rho, float momentum,
                                 float epsilon);
  virtual void adagrad_update_at(float* var, float* accumulator, const float* g, std::size_t n, const float* lr,
                                 const float* gate, float epsilon);
  virtual void nadam_update_at(float* var, float* m, float* v, const float* g, std::size_t n,
                               float one_minus_beta_1, float one_minus_beta_2, const float* scalars,
                               const float* gate, float epsilon);

 private:
  std::atomic<std::int64_t> live_bytes_{0}, peak_bytes_{0};
};

namespace backend {

// Backend selection. The active backend is the one set here, else $KERAS_BACKEND, else the
// best one built ("cuda" with a device, then "cpu", then "reference").
void set(const std::string& name);
Backend& get();
// Looks a backend up by name, "cuda" or "cuda:1" (a device index after the colon; no index is
// device 0); BackendError says why one is unavailable.
Backend& get(const std::string& name);
std::string active_name();
// Waits for the active backend's queued work, then runs the checks that were waiting for it
// (label ranges); throws what they found.
void synchronize();
// The best backend whose memory the host addresses (cpu when built, else reference): where
// host-side data preparation (image augmentation) keeps its tensors.
Backend& host();
// Names of the backends built into this library and usable on this machine.
std::vector<std::string> available();

// The threads host backends compute with: one pool for the process. The default is the cores
// this process may use ($OMP_NUM_THREADS if set, else the CPU affinity mask, capped by a
// cgroup CPU quota). set_num_threads(n >= 1) changes it for every later kernel.
void set_num_threads(int n);
int num_threads();

}  // namespace backend
}  // namespace keras
