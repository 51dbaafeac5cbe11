#pragma once
// Sums over the rows of a (rows, cols) view, in double, split across blocks so that even a few
// columns (a bias gradient: 64 channels over 65,536 rows) fill the GPU. Each block sums one tile
// of 32 columns over one chunk of rows into a partial; a second kernel adds each column's
// partials in order, so the result does not depend on scheduling. A term functor gives row r's
// contribution to column c, two sums at once (double2; .y is 0 where one is enough), and a
// finish functor stores each column's totals.
#include <algorithm>
#include <cstdint>

#include "launch.cuh"

namespace keras::cuda_backend {

constexpr unsigned kColumnTile = 32, kRowLanes = 8;

template <class Term>
__global__ void column_partials_kernel(Term term, std::int64_t rows, std::int64_t cols, std::int64_t chunk,
                                       double2* partial) {
  __shared__ double2 lanes[kRowLanes][kColumnTile];
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kColumnTile + threadIdx.x;
  const std::int64_t begin = static_cast<std::int64_t>(blockIdx.y) * chunk;
  const std::int64_t end = begin + chunk < rows ? begin + chunk : rows;
  double2 acc = make_double2(0.0, 0.0);
  if (c < cols) {
    for (std::int64_t r = begin + threadIdx.y; r < end; r += kRowLanes) {
      const double2 t = term(r, c);
      acc.x += t.x;
      acc.y += t.y;
    }
  }
  lanes[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    double2 total = lanes[0][threadIdx.x];
    for (unsigned k = 1; k < kRowLanes; ++k) {
      total.x += lanes[k][threadIdx.x].x;
      total.y += lanes[k][threadIdx.x].y;
    }
    partial[static_cast<std::int64_t>(blockIdx.y) * cols + c] = total;
  }
}

template <class Finish>
__global__ void column_totals_kernel(const double2* partial, std::int64_t parts, std::int64_t cols, Finish finish) {
  KERASCPP_GRID_STRIDE(e, static_cast<std::size_t>(cols)) {
    const auto c = static_cast<std::int64_t>(e);
    double2 total = make_double2(0.0, 0.0);
    for (std::int64_t p = 0; p < parts; ++p) {
      const double2 v = partial[p * cols + c];
      total.x += v.x;
      total.y += v.y;
    }
    finish(c, total);
  }
}

// finish(c, totals of column c) for every column, both kernels on the backend's stream.
template <class Term, class Finish>
void column_sums(CudaBackend& be, const char* kernel, std::int64_t rows, std::int64_t cols, Term term, Finish finish) {
  if (cols <= 0) return;
  const std::int64_t tiles = (cols + kColumnTile - 1) / kColumnTile;
  // About 1,024 blocks in all, each over at least 512 rows.
  const std::int64_t parts =
      std::clamp<std::int64_t>(std::min<std::int64_t>((rows + 511) / 512, (1024 + tiles - 1) / tiles), 1, 65535);
  const std::int64_t chunk = (rows + parts - 1) / parts;
  CudaBackend::Scratch partial(be, static_cast<std::size_t>(parts * cols) * sizeof(double2));
  be.activate();
  be.note_kernel(kernel);
  column_partials_kernel<<<dim3(static_cast<unsigned>(tiles), static_cast<unsigned>(parts)), dim3(kColumnTile, kRowLanes), 0,
                           be.stream()>>>(term, rows, cols, chunk, partial.as<double2>());
  be.check_launch(kernel);
  launch(be, kernel, static_cast<std::size_t>(cols), column_totals_kernel<Finish>, partial.as<const double2>(), parts, cols,
         finish);
}

}  // namespace keras::cuda_backend
