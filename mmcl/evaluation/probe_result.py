"""What a trained probe (linear or SVM) reports: its test accuracy and how its regularisation was chosen.

Example:
    >>> import numpy as np
    >>> result = ProbeResult(accuracy=0.9, c=1.0, selection="5-fold CV on train", classifier="logistic",
    ...                      predictions=np.array([0, 1]))
    >>> result.accuracy
    0.9
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ProbeResult:
    """Outcome of fitting a probe on the training split and scoring it on the test split.

    Attributes:
        accuracy: top-1 accuracy on the test split, in ``[0, 1]``.
        c: the inverse regularisation strength ``C`` of the final fit, in scikit-learn's convention
            (the objective is ``C * sum(loss) + ||w||^2 / 2``; for a mean loss that is a weight decay of
            ``1 / (C * N_train)``).
        selection: how ``C`` was chosen, e.g. ``"5-fold stratified CV on train"``, ``"held-out 10% of
            train"`` or why no selection was possible.
        classifier: what was fitted, e.g. ``"logistic regression (scikit-learn)"`` or ``"RBF SVM"``.
        predictions: predicted class ids for the test rows (the original label values).
    """

    accuracy: float
    c: float
    selection: str
    classifier: str
    predictions: np.ndarray
