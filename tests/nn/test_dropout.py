"""nn.Dropout and nn.Dropout2d (tinyconv/nn/dropout.py): active in training, the identity in eval, as a
model's mode says; no state; p checked when built.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import leaf, random_array, random_tensor

import tinyconv
from tinyconv import Tensor, nn


def test_dropout_module_is_the_identity_in_eval_and_active_again_in_train():
    tinyconv.manual_seed(13)
    layer = nn.Dropout(0.5)
    x = leaf(np.ones(1000))
    np.testing.assert_array_equal(layer.eval()(x).data, x.data)
    assert (layer.train()(x).data == 0).any()


def test_dropout_module_inside_a_model_follows_the_models_mode():
    tinyconv.manual_seed(14)
    model = nn.Sequential(nn.Linear(4, 300), nn.Dropout(0.5))
    x = Tensor(random_array(2, 4, dtype=np.float32))
    model.eval()
    np.testing.assert_array_equal(model(x).data, model[0](x).data)
    model.train()
    assert (model(x).data == 0).mean() > 0.3


def test_dropout_module_repr_and_empty_state():
    assert repr(nn.Dropout(0.3)) == "Dropout(p=0.3, inplace=False)"  # PyTorch's repr
    assert repr(nn.Dropout2d(inplace=True)) == "Dropout2d(p=0.5, inplace=True)"
    assert list(nn.Dropout().state_dict()) == []


def test_dropout_module_in_place_writes_into_its_input_while_training():
    tinyconv.manual_seed(15)
    x = Tensor(np.ones(1000))
    assert nn.Dropout(0.5, inplace=True)(x) is x
    assert set(np.unique(x.data)) == {0.0, 2.0}
    assert nn.Dropout(0.5, inplace=True).eval()(x) is x


def test_dropout_module_inplace_must_be_a_bool():
    with pytest.raises(TypeError, match="Dropout: inplace must be True or False, got 'yes'"):
        nn.Dropout(0.5, "yes")


def test_dropout2d_module_is_the_identity_in_eval():
    x = random_tensor(2, 3, 4, 4)
    np.testing.assert_array_equal(nn.Dropout2d(0.5).eval()(x).data, x.data)


@pytest.mark.parametrize("layer", [nn.Dropout, nn.Dropout2d])
def test_dropout_modules_refuse_p_of_one_when_built(layer):
    with pytest.raises(ValueError, match=rf"{layer.__name__}: p .* must be in \[0, 1\), got 1"):
        layer(1)
