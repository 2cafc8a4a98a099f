// Bias + ReLU fused into one pass over memory: y = max(x + bias[c], 0) for x of shape (N, C, P)
// (P = H * W after a convolution, P = 1 after a linear layer), and the ReLU's backward.
//
//   x, y, grad_out, dx   (N, C, P)    contiguous
//   bias                 (C,)
// Fusing saves one full write and read of the activations: a convolution's bias add followed by a
// separate ReLU would store x + b and load it again.
// Backward: dL/dx = g where y > 0, else 0 (the derivative at 0 is taken as 0); dL/dbias[c] is the sum
// of dL/dx over n and p, a reduction that backend/cuda_kernels.py leaves to CuPy.
// NumPy twins: tinyconv/backend/cpu.py: bias_relu_forward, bias_relu_backward.
//
// Thread mapping, both kernels: one thread per element, N * C * P threads, in memory order.
// Launch: 256 threads per block, ceil(total / 256) blocks.

// The element type: float, or double when compiled with -DSCALAR=double (backend/cuda_kernels.py builds both).
#ifndef SCALAR
#define SCALAR float
#endif
typedef SCALAR scalar_t;

extern "C" __global__ void bias_relu_forward(const scalar_t* x, const scalar_t* bias, scalar_t* y,
                                             int total, int C, int P)
{
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= total) return;

    int c = (index / P) % C;   // the channel of element (n, c, p)
    scalar_t value = x[index] + bias[c];
    y[index] = value < 0 ? scalar_t(0) : value;   // not max(value, 0): a NaN stays NaN, as in NumPy
}

extern "C" __global__ void relu_backward(const scalar_t* grad_out, const scalar_t* y, scalar_t* dx, int total)
{
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= total) return;

    dx[index] = y[index] > 0 ? grad_out[index] : scalar_t(0);
}
