// im2col: copy every kernel window of an image batch into one column of the matrix `col`.
//
// Layout (the same as tinyconv/backend/cpu.py: im2col, this kernel's NumPy twin):
//   x    (N, C, H, W)                 contiguous
//   col  (N, C * kH * kW, OH * OW)    contiguous
//   col[n, (c * kH + i) * kW + j, oy * OW + ox] = x[n, c, oy * sH - pH + i * dH, ox * sW - pW + j * dW]
// and 0 where that position falls in the padding (s: stride, p: padding, d: dilation).
//
// Thread mapping: one thread per element of col, N * C * kH * kW * OH * OW threads in all, numbered
// in col's memory order, so that neighbouring threads write neighbouring addresses (coalesced stores).
// Launch: 256 threads per block, ceil(total / 256) blocks (tinyconv/backend/cuda_kernels.py: im2col).

// The element type: float, or double when compiled with -DSCALAR=double (backend/cuda_kernels.py builds both).
#ifndef SCALAR
#define SCALAR float
#endif
typedef SCALAR scalar_t;

extern "C" __global__ void im2col(const scalar_t* x, scalar_t* col, int total,
                                  int C, int H, int W, int kH, int kW, int OH, int OW,
                                  int sH, int sW, int pH, int pW, int dH, int dW)
{
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= total) return;

    // Decode the flat index of col into (n, c, i, j, oy, ox), the fastest-varying axis first.
    int rest = index;
    int ox = rest % OW;  rest /= OW;
    int oy = rest % OH;  rest /= OH;
    int j = rest % kW;   rest /= kW;
    int i = rest % kH;   rest /= kH;
    int c = rest % C;
    int n = rest / C;

    // The input pixel under kernel tap (i, j) of the window of output pixel (oy, ox).
    int in_y = oy * sH - pH + i * dH;
    int in_x = ox * sW - pW + j * dW;
    bool inside = in_y >= 0 && in_y < H && in_x >= 0 && in_x < W;
    col[index] = inside ? x[((n * C + c) * H + in_y) * W + in_x] : scalar_t(0);
}
