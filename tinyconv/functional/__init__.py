"""Differentiable operations on tensors, as `torch.nn.functional`: `import tinyconv.functional as F`.

Each op is a Function with a hand-written backward, in the file named for it:
    conv.py        conv2d by im2col + one matrix product
    conv_transpose.py  conv_transpose2d: conv2d's input gradient as a layer (upsampling, FCN, GANs)
    interpolate.py interpolate: nearest and bilinear resizing
    pooling.py     max_pool2d, avg_pool2d, adaptive_avg_pool2d
    roi.py         roi_pool, roi_align: a box of a feature map at a fixed size (Fast R-CNN, Mask R-CNN)
    activation.py  relu, leaky_relu, sigmoid, tanh, softmax, log_softmax, elu, gelu, softplus
    bias_relu.py   bias_relu: max(x + bias, 0) in one op (one CUDA kernel on the GPU)
    loss.py        cross_entropy, nll_loss, multi_margin_loss, multiclass_hinge_loss,
                   binary_cross_entropy(_with_logits), mse_loss, l1_loss, smooth_l1_loss, huber_loss
    padding.py     pad (constant, reflect, replicate, circular)
    one_hot.py     one_hot
    similarity.py  normalize, cosine_similarity
    linear.py      linear
    flatten.py     flatten
    recurrent.py   rnn_cell, lstm_cell, gru_cell: one fused time step each
    embedding.py   embedding
    normalization.py  local_response_norm, batch_norm, layer_norm
    attention.py   scaled_dot_product_attention (the Transformer's softmax(Q K^T / sqrt(E)) V)
    dropout.py     dropout, dropout2d
    variational.py reparameterize, kl_to_standard_normal, gaussian_log_prob, bernoulli_log_prob (the VAE's)
    reference.py   naive loop conv2d and max_pool2d: the specification the fast ones are tested against
"""

from tinyconv.functional.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from tinyconv.functional.attention import scaled_dot_product_attention
from tinyconv.functional.bias_relu import bias_relu
from tinyconv.functional.conv import conv2d
from tinyconv.functional.conv_transpose import conv_transpose2d
from tinyconv.functional.dropout import dropout, dropout2d
from tinyconv.functional.embedding import embedding
from tinyconv.functional.flatten import flatten
from tinyconv.functional.interpolate import interpolate
from tinyconv.functional.linear import linear
from tinyconv.functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    multi_margin_loss,
    multiclass_hinge_loss,
    nll_loss,
    smooth_l1_loss,
)
from tinyconv.functional.normalization import batch_norm, layer_norm, local_response_norm
from tinyconv.functional.one_hot import one_hot
from tinyconv.functional.padding import pad
from tinyconv.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from tinyconv.functional.recurrent import gru_cell, lstm_cell, rnn_cell
from tinyconv.functional.roi import roi_align, roi_pool
from tinyconv.functional.similarity import cosine_similarity, normalize
from tinyconv.functional.variational import (
    bernoulli_log_prob,
    gaussian_log_prob,
    kl_to_standard_normal,
    reparameterize,
)

__all__ = [
    "conv_transpose2d",
    "interpolate",
    "scaled_dot_product_attention",
    "layer_norm",
    "elu",
    "gelu",
    "softplus",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "multi_margin_loss",
    "multiclass_hinge_loss",
    "pad",
    "adaptive_avg_pool2d",
    "roi_pool",
    "roi_align",
    "rnn_cell",
    "lstm_cell",
    "gru_cell",
    "embedding",
    "local_response_norm",
    "batch_norm",
    "dropout",
    "dropout2d",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "relu",
    "bias_relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "linear",
    "flatten",
    "cross_entropy",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "one_hot",
    "normalize",
    "cosine_similarity",
    "reparameterize",
    "kl_to_standard_normal",
    "gaussian_log_prob",
    "bernoulli_log_prob",
]
