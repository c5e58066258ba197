import numpy as np
import pytest
import torch

from mmcl.evaluation.inputs import embeddings_as_numpy, embeddings_as_tensor, labels_as_numpy


def test_tensors_and_arrays_convert_without_changing_values():
    x = np.arange(6, dtype=np.float64).reshape(3, 2) / 7
    np.testing.assert_array_equal(embeddings_as_numpy("x", torch.from_numpy(x)), x)
    assert embeddings_as_tensor("x", x).dtype == torch.float32
    np.testing.assert_array_equal(embeddings_as_numpy("x", np.ones((2, 2), dtype=np.uint8)), np.ones((2, 2)))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([[1.0, 2.0]], "x must be a torch.Tensor or numpy array, got list"),
        (np.ones(3), r"x must be 2-D \(N, D\), got shape \(3,\)"),
        (np.ones((0, 4)), "x is empty"),
        (np.array([[1.0, np.inf]]), "x holds 1 NaN or infinite values"),
        (np.array([["a", "b"]]), "x must hold real numbers"),
        (torch.ones(2, 2, dtype=torch.complex64), "x must hold real numbers"),
    ],
)
def test_bad_embeddings_raise(value, message):
    with pytest.raises(ValueError, match=message):
        embeddings_as_tensor("x", value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([[0, 1]], "y must be 1-D"),
        ([0, 1], "y has 2 entries but the embeddings have 3 rows"),
        ([0.0, 1.0, 1.0], "y must hold integer class ids"),
    ],
)
def test_bad_labels_raise(value, message):
    with pytest.raises(ValueError, match=message):
        labels_as_numpy("y", value, rows=3)
