"""The launch arithmetic of the CUDA launchers (tinyconv/backend/cuda_kernels.py), in plain Python: no
GPU, no CuPy.

Grid and block sizes, the 32-bit limits on what a kernel indexes, GEMM tiles and plans (the strides and
batch levels kernels/gemm.cu walks), and the size tuples the kernels take. Expected values are worked
out by hand in the comments. The kernels themselves run in test_cuda_emulated.py and test_gpu.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinyconv import checks
from tinyconv.backend import cuda_kernels
from tinyconv.backend.cuda_kernels import LARGE_TILE, SMALL_TILE, GemmPlan

# ------------------------------------------------------------------------------ one thread per element


@pytest.mark.parametrize("total, blocks", [(1, 1), (256, 1), (257, 2), (1000, 4), (0, 0)])
def test_block_count_gives_every_element_a_thread(total, blocks):
    assert cuda_kernels.block_count(total) == blocks


def test_blocks_are_256_threads():
    assert cuda_kernels.THREADS_PER_BLOCK == 256


def test_check_int32_accepts_the_largest_int32():
    checks.check_int32("im2col", 2**31 - 1)


def test_check_int32_refuses_one_more():
    with pytest.raises(ValueError, match="im2col: 2,147,483,648 elements .* 32-bit ints"):
        checks.check_int32("im2col", 2**31)


@pytest.mark.parametrize("total, last", [(1, 255), (256, 255), (257, 511), (1000, 1023)])
def test_last_thread_index_is_the_end_of_the_last_block(total, last):
    assert cuda_kernels.last_thread_index(total) == last


def test_the_largest_int32_total_in_256_thread_blocks_ends_exactly_at_int32_max():
    # ceil((2**31 - 1) / 256) = 2**23 blocks, whose last thread is 2**23 * 256 - 1 = 2**31 - 1
    assert cuda_kernels.last_thread_index(2**31 - 1) == checks.INT32_MAX
    cuda_kernels.check_elementwise_launch("relu_backward", 2**31 - 1, [2**31 - 1])


def test_a_block_size_that_does_not_divide_2_to_the_31_leaves_no_room_for_the_last_block():
    # 2**31 - 100 elements in blocks of 384: 5,592,406 blocks, the last thread at 2,147,483,903
    total = 2**31 - 100
    assert cuda_kernels.last_thread_index(total, threads=384) == 2_147_483_903 > checks.INT32_MAX
    with pytest.raises(
        ValueError, match="relu_backward: .* in blocks of 384 threads need thread indices up to"
    ):
        cuda_kernels.check_elementwise_launch("relu_backward", total, [total], threads=384)


def test_an_input_larger_than_the_output_is_checked_too():
    # im2col with kernel 1 and stride 2 reads a quarter of its input: x (1, 1, 65536, 32769) holds
    # 2,147,549,184 elements, more than an int indexes, but col only (1, 1, 32768 * 16385)
    x_shape = (1, 1, 65536, 32769)
    geometry = cuda_kernels.window_geometry(x_shape, (1, 1), (2, 2), (0, 0), (1, 1))
    col_size = geometry[5] * geometry[6]
    assert col_size == 536_903_680
    with pytest.raises(ValueError, match="im2col: 2,147,549,184 elements"):
        cuda_kernels.check_elementwise_launch("im2col", col_size, [np.prod(x_shape), col_size])


def test_launch_elementwise_checks_every_array_it_passes_before_launching(monkeypatch):
    launched = []
    monkeypatch.setattr(cuda_kernels, "launch", lambda *arguments: launched.append(arguments))
    huge = np.broadcast_to(np.float32(0), (2**31,))  # 2**31 elements, one float32 in memory
    col = np.zeros(140, np.float32)
    with pytest.raises(ValueError, match="im2col: 2,147,483,648 elements"):
        cuda_kernels.launch_elementwise(
            "im2col", "im2col", np.float32, col.size, (huge, col) + cuda_kernels.int32(col.size)
        )
    assert launched == []


@pytest.mark.parametrize(
    "shape, strides, offset",
    [((2, 3), (3, 1), 5), ((4, 3), (0, 1), 2), ((3, 2), (1, 3), 5), ((0, 5), (5, 1), 0)],
    ids=["contiguous", "broadcast rows", "transposed", "empty"],
)
def test_largest_offset_is_the_last_element_a_view_reaches(shape, strides, offset):
    assert cuda_kernels.largest_offset(shape, strides) == offset


def test_int32_makes_numpy_int32_scalars():
    assert [type(v) for v in cuda_kernels.int32(3, 2**31 - 1)] == [np.int32, np.int32]


# ------------------------------------------------------------------------------ GEMM tiles and grids


def test_tiles_are_16_by_16_threads_with_8x8_and_2x2_elements():
    assert (LARGE_TILE.rows, LARGE_TILE.cols) == (16 * 8, 16 * 8)
    assert (SMALL_TILE.rows, SMALL_TILE.cols) == (16 * 2, 16 * 2)


def test_a_large_square_product_takes_the_large_tile():
    assert cuda_kernels.gemm_tile(4096, 4096, 1, multiprocessors=132) == LARGE_TILE


def test_a_product_with_few_rows_takes_the_small_tile():
    assert cuda_kernels.gemm_tile(6, 784, 64, multiprocessors=132) == SMALL_TILE  # LeNet's C1: 6 filters


def test_too_few_large_blocks_to_fill_the_gpu_take_the_small_tile():
    assert cuda_kernels.gemm_tile(128, 128, 1, multiprocessors=132) == SMALL_TILE  # one large block


def test_the_batch_counts_toward_filling_the_gpu():
    assert cuda_kernels.gemm_tile(128, 128, 200, multiprocessors=132) == LARGE_TILE  # 200 large blocks


def test_gemm_grid_covers_a_result_that_is_not_a_multiple_of_the_tile():
    # 129 columns / 32 = 4.03 -> 5 blocks; 130 rows / 32 -> 5 blocks
    assert cuda_kernels.gemm_grid(130, 129, 1, SMALL_TILE) == (5, 5, 1)


def test_gemm_grid_of_a_4096_square_product_in_the_large_tile():
    assert cuda_kernels.gemm_grid(4096, 4096, 1, LARGE_TILE) == (32, 32, 1)


def test_gemm_grid_stops_z_at_65535_and_the_blocks_loop_over_the_rest():
    assert cuda_kernels.gemm_grid(2, 2, 70_000, SMALL_TILE) == (1, 1, 65535)


def test_gemm_grid_refuses_more_rows_of_blocks_than_cuda_allows():
    with pytest.raises(ValueError, match="2,097,121 rows needs 65,536 rows of 32-row blocks"):
        cuda_kernels.gemm_grid(65535 * 32 + 1, 10, 1, SMALL_TILE)


# ------------------------------------------------------------------------------ GEMM plans


def strides_of(array) -> tuple:
    return cuda_kernels.element_strides(array)


def test_gemm_plan_of_one_contiguous_product():
    a, b = np.zeros((3, 4), np.float32), np.zeros((4, 5), np.float32)
    plan = cuda_kernels.gemm_plan((), 3, 5, 4, strides_of(a), strides_of(b))
    assert plan == GemmPlan(3, 5, 4, 4, 1, 5, 1, 1, 1, 0, 0, 0, 0)


def test_gemm_plan_follows_a_transposed_view():
    a = np.zeros((4, 3), np.float32).T  # (3, 4), column after column in memory
    plan = cuda_kernels.gemm_plan((), 3, 5, 4, strides_of(a), (5, 1))
    assert (plan.a_sm, plan.a_sk) == (1, 3)


def test_gemm_plan_of_conv_forward_reuses_the_weight_with_stride_0():
    weight = np.broadcast_to(np.zeros((1, 6, 25), np.float32), (2, 1, 6, 25))  # (N, G, C_out, K)
    col = np.zeros((2, 1, 25, 70), np.float32)  # (N, G, K, P)
    plan = cuda_kernels.gemm_plan((2, 1), 6, 70, 25, strides_of(weight), strides_of(col))
    # the axis of size 1 (G) is dropped; the batch walks B 25 * 70 elements at a time and A not at all
    assert (plan.batch, plan.batch_inner, plan.a_inner, plan.b_inner) == (2, 2, 0, 1750)


def test_gemm_plan_folds_a_batch_that_shares_b_into_the_rows_of_a():
    x = np.zeros((2, 3, 10), np.float32)  # Linear on a (B, T, features) input
    weight_t = np.broadcast_to(np.zeros((7, 10), np.float32).T, (2, 10, 7))
    plan = cuda_kernels.gemm_plan((2,), 3, 7, 10, strides_of(x), strides_of(weight_t))
    assert (plan.m, plan.batch) == (6, 1)  # one 6 x 10 @ 10 x 7 product


def test_gemm_plan_merges_batch_axes_that_step_evenly():
    a, b = np.zeros((2, 3, 4, 5), np.float32), np.zeros((2, 3, 5, 6), np.float32)
    plan = cuda_kernels.gemm_plan((2, 3), 4, 6, 5, strides_of(a), strides_of(b))
    # A's matrices are 20 apart along both axes (60 = 3 * 20), B's 30 (90 = 3 * 30): one axis of 6
    assert (plan.batch, plan.batch_inner, plan.a_inner, plan.b_inner) == (6, 6, 20, 30)


def test_gemm_plan_keeps_two_levels_when_one_operand_is_broadcast_along_one_axis():
    a = np.zeros((2, 3, 4, 5), np.float32)
    b = np.broadcast_to(np.zeros((1, 3, 5, 6), np.float32), (2, 3, 5, 6))
    plan = cuda_kernels.gemm_plan((2, 3), 4, 6, 5, strides_of(a), strides_of(b))
    assert plan[7:] == (6, 3, 60, 20, 0, 30)  # batch, inner size, a outer, a inner, b outer, b inner


def test_gemm_plan_is_none_for_three_batch_axes_that_do_not_merge():
    a = np.zeros((2, 3, 4, 5, 6), np.float32)
    b = np.broadcast_to(np.zeros((3, 1, 6, 7), np.float32), (2, 3, 4, 6, 7))
    assert cuda_kernels.gemm_plan((2, 3, 4), 5, 7, 6, strides_of(a), strides_of(b)) is None


def test_element_strides_of_a_contiguous_array():
    assert cuda_kernels.element_strides(np.zeros((3, 4), np.float32)) == (4, 1)


def test_element_strides_of_a_reversed_view_is_none():
    assert cuda_kernels.element_strides(np.zeros(4, np.float32)[::-1]) is None


def test_element_strides_that_split_an_element_are_none():
    view = np.lib.stride_tricks.as_strided(np.zeros(8, np.float32), shape=(3,), strides=(2,))
    assert cuda_kernels.element_strides(view) is None


# ------------------------------------------------------------------------------ the kernels' size arguments


def test_window_geometry_is_what_im2col_and_col2im_take():
    # 7 x 5 image, 3 x 3 kernel, stride 2, padding 1: OH = (7 + 2 - 3) // 2 + 1 = 4, OW = 3
    geometry = cuda_kernels.window_geometry((2, 3, 7, 5), (3, 3), (2, 2), (1, 1), (1, 1))
    assert geometry == (3, 7, 5, 3, 3, 4, 3, 2, 2, 1, 1, 1, 1)


def test_window_geometry_with_dilation():
    # a 3-tap kernel dilated by 2 spans 5 rows: OH = 8 - 5 + 1 = 4
    assert cuda_kernels.window_geometry((1, 1, 8, 8), (3, 1), (1, 1), (0, 0), (2, 1))[5] == 4


def test_pooled_size_floors():
    assert cuda_kernels.pooled_size((1, 2, 7, 9), (2, 2), (2, 2), (0, 0)) == (3, 4)


def test_pool_geometry_is_what_pool_cu_takes():
    geometry = cuda_kernels.pool_geometry((2, 3, 9, 7), (5, 4), (3, 3), (2, 2), (1, 1))
    assert geometry == (3, 9, 7, 5, 4, 3, 3, 2, 2, 1, 1)


@pytest.mark.parametrize("shape, expected", [((2, 5, 7, 3), (5, 21)), ((4, 9), (9, 1)), ((2, 5, 7), (5, 7))])
def test_channel_geometry_is_channels_and_elements_per_channel(shape, expected):
    assert cuda_kernels.channel_geometry(shape) == expected


# ------------------------------------------------------------------------------ the kernel sources


def test_kernel_dir_finds_the_sources_in_a_checkout():
    folder = cuda_kernels.kernel_dir()
    assert (folder / "gemm.cu").is_file() and (folder / "im2col.cu").is_file()
