// Max and average pooling over kH x kW windows of an (N, C, H, W) batch, forward and backward.
//
//   x, dx          (N, C, H, W)      contiguous
//   y, grad_out    (N, C, OH, OW)    contiguous, OH = (H + 2 pH - kH) / sH + 1 (floor), likewise OW
//   argmax         (N, C, OH, OW)    int: the window offset k = i * kW + j of each window's maximum
// The window of output pixel (oy, ox) covers the input rows oy * sH - pH + i, i < kH (likewise x).
// NumPy twins: tinyconv/backend/cpu.py: max_pool2d_forward, max_pool2d_backward, avg_pool2d_forward,
// avg_pool2d_backward: the code that trains on the CPU, with the same rules (ties, -inf, NaN).
//
// Forward kernels: one thread per output pixel (N * C * OH * OW threads), which loops over its window.
// Backward kernels: one thread per input pixel (N * C * H * W threads), which *gathers* from the
// output pixels whose windows cover it: no two threads write the same address, so no atomics, and
// each adds its terms in a fixed order, so the result is the same on every run.
// Launch: 256 threads per block, ceil(total / 256) blocks (tinyconv/backend/cuda_kernels.py).

// The element type: float, or double when compiled with -DSCALAR=double (backend/cuda_kernels.py builds both).
#ifndef SCALAR
#define SCALAR float
#endif
typedef SCALAR scalar_t;

// The first and one-past-last output index whose window, `kernel` wide and `stride` apart, covers
// the padded position `p`: windows o with o * stride <= p <= o * stride + kernel - 1, and o < out.
__device__ int first_window(int p, int kernel, int stride)
{
    return p < kernel ? 0 : (p - kernel) / stride + 1;
}

__device__ int end_window(int p, int stride, int out)
{
    return min(p / stride + 1, out);
}

// y = the largest pixel of the window; argmax = its offset k. Padding is skipped (it never wins,
// as if it were -infinity). Ties go to the first offset in row-major order: a later pixel replaces
// the maximum only if it is strictly larger, or NaN (a NaN anywhere makes the window's maximum NaN,
// as in PyTorch).
extern "C" __global__ void max_pool_forward(const scalar_t* x, scalar_t* y, int* argmax, int total,
                                            int C, int H, int W, int OH, int OW,
                                            int kH, int kW, int sH, int sW, int pH, int pW)
{
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= total) return;

    // Decode the flat index of y into (n, c, oy, ox), the fastest-varying axis first.
    int rest = index;
    int ox = rest % OW;  rest /= OW;
    int oy = rest % OH;  rest /= OH;
    int c = rest % C;
    int n = rest / C;

    const scalar_t* plane = x + (n * C + c) * H * W;
    scalar_t best = 0;
    int best_k = -1;
    for (int i = 0; i < kH; ++i) {
        int in_y = oy * sH - pH + i;
        if (in_y < 0 || in_y >= H) continue;
        for (int j = 0; j < kW; ++j) {
            int in_x = ox * sW - pW + j;
            if (in_x < 0 || in_x >= W) continue;
            scalar_t value = plane[in_y * W + in_x];
            if (best_k < 0 || value > best || isnan(value)) {
                best = value;
                best_k = i * kW + j;
            }
        }
    }
    y[index] = best;
    argmax[index] = best_k;
}

// dx[n, c, y, x] = sum of grad_out over the windows whose argmax is this pixel: the maximum passes
// its whole gradient to the pixel that won, the other pixels of the window get nothing.
extern "C" __global__ void max_pool_backward(const scalar_t* grad_out, const int* argmax, scalar_t* dx,
                                             int total, int C, int H, int W, int OH, int OW,
                                             int kH, int kW, int sH, int sW, int pH, int pW)
{
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= total) return;

    // Decode the flat index of dx into (n, c, y, x), the fastest-varying axis first.
    int rest = index;
    int x = rest % W;  rest /= W;
    int y = rest % H;  rest /= H;
    int c = rest % C;
    int n = rest / C;

    int py = y + pH, px = x + pW;   // this pixel's position in the padded image
    int offset = (n * C + c) * OH * OW;
    scalar_t sum = 0;
    for (int oy = first_window(py, kH, sH); oy < end_window(py, sH, OH); ++oy) {
        for (int ox = first_window(px, kW, sW); ox < end_window(px, sW, OW); ++ox) {
            int k = (py - oy * sH) * kW + (px - ox * sW);   // where this pixel sits in window (oy, ox)
            if (argmax[offset + oy * OW + ox] == k) sum += grad_out[offset + oy * OW + ox];
        }
    }
    dx[index] = sum;
}

// y = (sum of the window) / (kH * kW): padding counts as zeros (PyTorch's count_include_pad=True).
extern "C" __global__ void avg_pool_forward(const scalar_t* x, scalar_t* y, int total,
                                            int C, int H, int W, int OH, int OW,
                                            int kH, int kW, int sH, int sW, int pH, int pW)
{
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= total) return;

    // Decode the flat index of y into (n, c, oy, ox), the fastest-varying axis first.
    int rest = index;
    int ox = rest % OW;  rest /= OW;
    int oy = rest % OH;  rest /= OH;
    int c = rest % C;
    int n = rest / C;

    const scalar_t* plane = x + (n * C + c) * H * W;
    scalar_t sum = 0;
    for (int i = 0; i < kH; ++i) {
        int in_y = oy * sH - pH + i;
        if (in_y < 0 || in_y >= H) continue;
        for (int j = 0; j < kW; ++j) {
            int in_x = ox * sW - pW + j;
            if (in_x >= 0 && in_x < W) sum += plane[in_y * W + in_x];
        }
    }
    y[index] = sum / scalar_t(kH * kW);
}

// dx[n, c, y, x] = sum over the windows covering this pixel of grad_out / (kH * kW).
extern "C" __global__ void avg_pool_backward(const scalar_t* grad_out, scalar_t* dx, int total,
                                             int C, int H, int W, int OH, int OW,
                                             int kH, int kW, int sH, int sW, int pH, int pW)
{
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= total) return;

    // Decode the flat index of dx into (n, c, y, x), the fastest-varying axis first.
    int rest = index;
    int x = rest % W;  rest /= W;
    int y = rest % H;  rest /= H;
    int c = rest % C;
    int n = rest / C;

    int py = y + pH, px = x + pW;   // this pixel's position in the padded image
    int offset = (n * C + c) * OH * OW;
    scalar_t sum = 0;
    for (int oy = first_window(py, kH, sH); oy < end_window(py, sH, OH); ++oy)
        for (int ox = first_window(px, kW, sW); ox < end_window(px, sW, OW); ++ox)
            sum += grad_out[offset + oy * OW + ox] / scalar_t(kH * kW);
    dx[index] = sum;
}
