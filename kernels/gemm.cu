// gemm: C = A @ B for a batch of matrices, tiled in shared memory, with register blocking.
//
//   A  (M, K)   A[m, k] at a[m * a_sm + k * a_sk]     strides in elements, so a transposed
//   B  (K, N)   B[k, n] at b[k * b_sk + n * b_sn]     operand (A^T, B^T) is just other strides
//   C  (M, N)   C[m, n] at c[m * N + n]               contiguous
// The batch: matrix z = outer * batch_inner + inner (z < batch) starts at a + outer * a_outer +
// inner * a_inner (likewise b) and at c + z * M * N; a stride of 0 reuses one matrix for the whole
// batch (NumPy's broadcasting). NumPy twin: tinyconv/backend/cpu.py: matmul.
//
// Thread mapping. A block of 256 threads computes one BM x BN tile of C, BM = 16 * TM, BN = 16 * TN.
// Thread t is (ty, tx) = (t / 16, t % 16) and owns TM x TN elements of the tile:
//     rows ty + 16 * r (r < TM)  x  columns tx + 16 * s (s < TN),
// interleaved by 16 so that 16 neighbouring threads read 16 neighbouring words of shared memory
// (no bank conflicts) and write 16 neighbouring elements of C (coalesced).
//   grid = (ceil(N / BN), ceil(M / BM), min(batch, 65535)); blocks loop over z past 65535.
// Two tile shapes are compiled: gemm_large (TM = TN = 8, a 128 x 128 tile) for big matrices and
// gemm_small (TM = TN = 2, a 32 x 32 tile) for small ones (LeNet's first layer has M = 6); the choice
// is backend/cuda_kernels.py: gemm_tile.
//
// The K loop advances BK = 8 at a time. Each step the block copies a BM x BK slab of A and a BK x BN
// slab of B into shared memory (zeros past the matrix edges, so the inner loop needs no bounds
// checks) and waits for all its threads. Then, for each of the 8 k, every thread loads TM values of A
// and TN values of B into registers and does TM * TN multiply-adds into its accumulators, which stay
// in registers for the whole K loop: 64 multiply-adds per 16 shared-memory loads in the large tile.
// That ratio, not the arithmetic, is what limits a GEMM, and what register blocking buys.
// Accumulation is in scalar_t: float32 for float (no TF32, no half precision), float64 for double.

// The element type: float, or double when compiled with -DSCALAR=double (backend/cuda_kernels.py builds both).
#ifndef SCALAR
#define SCALAR float
#endif
typedef SCALAR scalar_t;

#define THREADS 256   // per block, seen as a 16 x 16 grid
#define SIDE 16
#define BK 8          // the depth of a slab
#define PAD 4         // one slab row is BM + PAD long: the copy writes 8 rows at once without bank conflicts

template <int TM, int TN>
__device__ void gemm_tiles(const scalar_t* a, const scalar_t* b, scalar_t* c, int M, int N, int K,
                           int a_sm, int a_sk, int b_sk, int b_sn, int batch, int batch_inner,
                           int a_outer, int a_inner, int b_outer, int b_inner)
{
    const int BM = SIDE * TM, BN = SIDE * TN;
    __shared__ scalar_t a_slab[BK][BM + PAD];   // a_slab[k][m]: A's slab stored transposed
    __shared__ scalar_t b_slab[BK][BN + PAD];   // b_slab[k][n]
    const int t = threadIdx.x;
    const int tx = t % SIDE, ty = t / SIDE;
    const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;   // this block's tile of C

    for (int z = blockIdx.z; z < batch; z += gridDim.z) {
        const int outer = z / batch_inner, inner = z % batch_inner;
        const scalar_t* a_z = a + outer * a_outer + inner * a_inner;
        const scalar_t* b_z = b + outer * b_outer + inner * b_inner;
        scalar_t* c_z = c + z * M * N;

        scalar_t acc[TM][TN];
        for (int r = 0; r < TM; ++r)
            for (int s = 0; s < TN; ++s) acc[r][s] = 0;

        for (int k0 = 0; k0 < K; k0 += BK) {
            // Copy the slabs. Slab element e is walked along the axis that is contiguous in memory,
            // so that neighbouring threads read neighbouring addresses (coalesced loads).
            for (int e = t; e < BM * BK; e += THREADS) {
                int m = (a_sk == 1) ? e / BK : e % BM;
                int k = (a_sk == 1) ? e % BK : e / BM;
                int gm = row0 + m, gk = k0 + k;
                a_slab[k][m] = (gm < M && gk < K) ? a_z[gm * a_sm + gk * a_sk] : scalar_t(0);
            }
            for (int e = t; e < BK * BN; e += THREADS) {
                int n = (b_sn == 1) ? e % BN : e / BK;
                int k = (b_sn == 1) ? e / BN : e % BK;
                int gk = k0 + k, gn = col0 + n;
                b_slab[k][n] = (gk < K && gn < N) ? b_z[gk * b_sk + gn * b_sn] : scalar_t(0);
            }
            __syncthreads();   // the slabs are complete

#pragma unroll
            for (int k = 0; k < BK; ++k) {
                scalar_t a_reg[TM], b_reg[TN];
#pragma unroll
                for (int r = 0; r < TM; ++r) a_reg[r] = a_slab[k][ty + SIDE * r];
#pragma unroll
                for (int s = 0; s < TN; ++s) b_reg[s] = b_slab[k][tx + SIDE * s];
#pragma unroll
                for (int r = 0; r < TM; ++r)
#pragma unroll
                    for (int s = 0; s < TN; ++s) acc[r][s] += a_reg[r] * b_reg[s];
            }
            __syncthreads();   // everyone is done with the slabs before the next copy overwrites them
        }

        for (int r = 0; r < TM; ++r) {
            int gm = row0 + ty + SIDE * r;
            for (int s = 0; s < TN; ++s) {
                int gn = col0 + tx + SIDE * s;
                if (gm < M && gn < N) c_z[gm * N + gn] = acc[r][s];
            }
        }
    }
}

extern "C" __global__ void gemm_large(const scalar_t* a, const scalar_t* b, scalar_t* c, int M, int N, int K,
                                      int a_sm, int a_sk, int b_sk, int b_sn, int batch, int batch_inner,
                                      int a_outer, int a_inner, int b_outer, int b_inner)
{
    gemm_tiles<8, 8>(a, b, c, M, N, K, a_sm, a_sk, b_sk, b_sn, batch, batch_inner,
                     a_outer, a_inner, b_outer, b_inner);
}

extern "C" __global__ void gemm_small(const scalar_t* a, const scalar_t* b, scalar_t* c, int M, int N, int K,
                                      int a_sm, int a_sk, int b_sk, int b_sn, int batch, int batch_inner,
                                      int a_outer, int a_inner, int b_outer, int b_inner)
{
    gemm_tiles<2, 2>(a, b, c, M, N, K, a_sm, a_sk, b_sk, b_sn, batch, batch_inner,
                     a_outer, a_inner, b_outer, b_inner);
}
