// Local response normalization across channels (AlexNet, section 3.3), with PyTorch's formula:
//
//   s[n, c, p] = k + alpha / size * sum over c' in window(c) of x[n, c', p]^2
//   y[n, c, p] = x[n, c, p] * s[n, c, p]^(-beta)
//   window(c) = the channels c - size/2 ... c + (size - 1)/2 (integer division) that exist
//
//   x, y, scale, grad_out, dx    (N, C, P)    contiguous; P = H * W (any trailing axes, flattened)
//
// Backward, with g = dL/dy: y_c depends on x_j through x_c itself and, for every c whose window holds
// j, through s_c (ds_c/dx_j = 2 alpha / size * x_j). So
//   dL/dx_j = g_j * s_j^(-beta) - (2 alpha beta / size) * x_j * sum over c with j in window(c) of
//                                                               g_c * x_c * s_c^(-beta - 1)
// and "j in window(c)" means c runs over j - (size - 1)/2 ... j + size/2: the window turned around
// (the two halves differ when size is even).
// NumPy twins: tinyconv/backend/cpu.py: lrn_forward, lrn_backward.
//
// Thread mapping, both kernels: one thread per element (n, c, p), N * C * P threads, in memory
// order; each loops over at most `size` channels of its own pixel. The backward is a gather over
// those channels: no atomics, a fixed order. Launch: 256 threads per block, ceil(total / 256) blocks.

// The element type: float, or double when compiled with -DSCALAR=double (backend/cuda_kernels.py builds both).
#ifndef SCALAR
#define SCALAR float
#endif
typedef SCALAR scalar_t;

extern "C" __global__ void lrn_forward(const scalar_t* x, scalar_t* y, scalar_t* scale, int total,
                                       int C, int P, int size, scalar_t alpha, scalar_t beta, scalar_t k)
{
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= total) return;

    // Decode the flat index into (n, c, p), the fastest-varying axis first.
    int p = index % P;
    int c = (index / P) % C;
    int n = index / (P * C);

    int first = max(c - size / 2, 0), last = min(c + (size - 1) / 2, C - 1);
    scalar_t sum = 0;
    for (int other = first; other <= last; ++other) {
        scalar_t value = x[(n * C + other) * P + p];
        sum += value * value;
    }
    scalar_t s = k + alpha / size * sum;
    scale[index] = s;   // kept for the backward pass
    y[index] = x[index] * pow(s, -beta);
}

extern "C" __global__ void lrn_backward(const scalar_t* grad_out, const scalar_t* x, const scalar_t* scale,
                                        scalar_t* dx, int total, int C, int P, int size,
                                        scalar_t alpha, scalar_t beta)
{
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= total) return;

    // Decode the flat index into (n, j, p), the fastest-varying axis first.
    int p = index % P;
    int j = (index / P) % C;
    int n = index / (P * C);

    // The channels c whose window holds channel j.
    int first = max(j - (size - 1) / 2, 0), last = min(j + size / 2, C - 1);
    scalar_t sum = 0;
    for (int c = first; c <= last; ++c) {
        int at = (n * C + c) * P + p;
        sum += grad_out[at] * x[at] * pow(scale[at], -beta - 1);
    }
    dx[index] = grad_out[index] * pow(scale[index], -beta) - 2 * alpha * beta / size * x[index] * sum;
}
