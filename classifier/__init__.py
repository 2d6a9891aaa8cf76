"""Text in, routing decision out: jieba + scikit-learn. Never imports hotline.

The public names are loaded lazily so ``from classifier.text import tokenize`` (used by the
knowledge-base search) does not pull in scikit-learn. No submodule shares a public name
(``retrain`` lives in ``classifier.retraining``): importing a submodule binds its name on the
package, which would shadow the lazily exported function.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from classifier.model import RoutingModel, Suggestion, default_model_dir
    from classifier.retraining import RetrainResult, retrain

__all__ = ["RetrainResult", "RoutingModel", "Suggestion", "default_model_dir", "retrain"]

_HOMES = {
    "RoutingModel": "classifier.model",
    "Suggestion": "classifier.model",
    "default_model_dir": "classifier.model",
    "RetrainResult": "classifier.retraining",
    "retrain": "classifier.retraining",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'classifier' has no attribute {name!r}")
