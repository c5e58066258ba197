#!/usr/bin/env bash
# The main job, set up from nothing: a virtual environment with mmcl, then pretrain an ECG encoder on the
# ECG data shipped in the repository, evaluate it (UCR protocol on ECG200 and TwoLeadECG, label efficiency,
# raw-series and random-init baselines) and write a Hub-ready model folder to runs/ecg-pretrain/model.
#
#   bash main-job.sh [--set KEY=VALUE ...] [--output-dir DIR]
#
# TORCH_SPEC picks the PyTorch build: the default is the CPU build (torch==2.13.0); on a GPU machine use
# e.g. TORCH_SPEC="torch" to take the CUDA build. Nothing else changes on a GPU.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
# shellcheck disable=SC1091
source .venv/bin/activate
if ! python -c "import torch" 2>/dev/null; then
    python -m pip install --quiet "${TORCH_SPEC:-torch==2.13.0}"
fi
python -m pip install --quiet -e ".[timeseries]"

mmcl train ecg-pretrain "$@"
