"""Offline evaluation on real grocery data: splits, metrics, baselines and reports.

``leafloaf evaluate next-basket`` and one subcommand per capability; see docs/evaluation.md.
"""

from leafloaf.evaluation.data import BasketData, load_basket_data
from leafloaf.evaluation.metrics import ndcg_at_k, phr_at_k, recall_at_k, score_rankings
from leafloaf.evaluation.split import UserSplit, leave_last_out

__all__ = [
    "BasketData",
    "UserSplit",
    "leave_last_out",
    "load_basket_data",
    "ndcg_at_k",
    "phr_at_k",
    "recall_at_k",
    "score_rankings",
]
