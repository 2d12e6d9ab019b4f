"""`ecomctl recommendations`: train the running service's model now, evaluate it offline."""

from ecomctl.recommendations.offline import evaluate_offline
from ecomctl.recommendations.training import train_model

__all__ = ["evaluate_offline", "train_model"]
