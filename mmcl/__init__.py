"""mmcl: contrastive representation learning on Hugging Face.

One modality-agnostic core (losses, momentum queues, EMA targets, SimCLR / MoCo / BYOL) wrapped by domain
adapters for images, text and time series (`mmcl.adapters`).
"""

__version__ = "0.1.0.dev0"
