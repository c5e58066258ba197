"""The torch protocols run on the device their inputs are on and agree with the CPU (skipped without CUDA)."""

import numpy as np
import pytest
import torch

from mmcl.evaluation import fit_linear_probe, knn_predict, retrieval_metrics, sts_correlation
from tests.evaluation.clustered import clustered

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _data():
    x, y = clustered(1200, dim=16, classes=5, spread=2.0)
    return torch.from_numpy(x).float(), torch.from_numpy(y)


def test_knn_on_cuda_matches_cpu():
    x, y = _data()
    cpu = knn_predict(x[:1000], y[:1000], x[1000:], k=50, chunk_size=64)
    cuda = knn_predict(x[:1000].cuda(), y[:1000], x[1000:].cuda(), k=50, chunk_size=64)
    assert cuda.device.type == "cuda"
    assert (cuda.cpu() == cpu).float().mean() >= 0.99  # float32 matmul order may flip near-ties


def test_torch_linear_probe_on_cuda_matches_cpu():
    x, y = _data()
    grid = [0.01, 0.1, 1.0]
    cpu = fit_linear_probe(x[:1000], y[:1000], x[1000:], y[1000:], c_grid=grid, torch_threshold=0)
    cuda = fit_linear_probe(
        x[:1000].cuda(), y[:1000].cuda(), x[1000:].cuda(), y[1000:], c_grid=grid, torch_threshold=0
    )
    assert "cuda" in cuda.classifier
    assert abs(cuda.accuracy - cpu.accuracy) <= 0.01


def test_retrieval_and_sts_on_cuda_match_cpu():
    x, _ = _data()
    relevant = np.arange(100)
    cpu = retrieval_metrics(x[:100] + 0.5, x, relevant)
    assert retrieval_metrics((x[:100] + 0.5).cuda(), x.cuda(), relevant) == pytest.approx(cpu, abs=1e-6)
    gold = torch.rand(600)
    cpu_sts = sts_correlation(x[:600], x[600:], gold)
    cuda_sts = sts_correlation(x[:600].cuda(), x[600:].cuda(), gold.cuda())
    assert cuda_sts.spearman == pytest.approx(cpu_sts.spearman, abs=1e-6)
