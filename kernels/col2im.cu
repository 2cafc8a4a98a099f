// col2im: the adjoint of im2col, which the backward pass of a convolution needs.
//
//   col  (N, C * kH * kW, OH * OW)    contiguous, the gradient of im2col's output
//   dx   (N, C, H, W)                 contiguous
//   dx[n, c, y, x] = sum of col[n, (c * kH + i) * kW + j, oy * OW + ox] over every (i, j, oy, ox)
//                    whose window tap lands on (y, x):  oy * sH - pH + i * dH = y  (likewise for x)
// NumPy twin: tinyconv/backend/cpu.py: col2im.
//
// Thread mapping: one thread per pixel of dx, N * C * H * W threads in all, in dx's memory order.
// Each thread *gathers*: it visits the kH * kW kernel taps (i, j), works out which output pixel
// (oy, ox), if any, reads its pixel through that tap, and adds up those entries of col.
// Why a gather and not a scatter (one thread per col entry doing atomicAdd into dx): every thread
// writes only its own pixel, so no atomics are needed, and it adds its terms in a fixed order
// (i, then j), so the result is bit-for-bit the same on every run.
// Launch: 256 threads per block, ceil(total / 256) blocks (tinyconv/backend/cuda_kernels.py: col2im).

// The element type: float, or double when compiled with -DSCALAR=double (backend/cuda_kernels.py builds both).
#ifndef SCALAR
#define SCALAR float
#endif
typedef SCALAR scalar_t;

extern "C" __global__ void col2im(const scalar_t* col, scalar_t* dx, int total,
                                  int C, int H, int W, int kH, int kW, int OH, int OW,
                                  int sH, int sW, int pH, int pW, int dH, int dW)
{
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= total) return;

    // Decode the flat index of dx into (n, c, y, x), the fastest-varying axis first.
    int rest = index;
    int x = rest % W;  rest /= W;
    int y = rest % H;  rest /= H;
    int c = rest % C;
    int n = rest / C;

    scalar_t sum = 0;
    for (int i = 0; i < kH; ++i) {
        // Tap row i reads this pixel for the output row oy with oy * sH = y + pH - i * dH, if any.
        int row = y + pH - i * dH;
        if (row < 0 || row % sH != 0) continue;
        int oy = row / sH;
        if (oy >= OH) continue;
        for (int j = 0; j < kW; ++j) {
            int column = x + pW - j * dW;
            if (column < 0 || column % sW != 0) continue;
            int ox = column / sW;
            if (ox >= OW) continue;
            sum += col[(((n * C + c) * kH + i) * kW + j) * (OH * OW) + oy * OW + ox];
        }
    }
    dx[index] = sum;
}
