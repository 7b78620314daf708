"""Committees of networks: several independently trained networks whose probabilities are averaged.

    run = nnzero.train("mnist", members=5, epochs=10)      # = nnzero train mnist --members 5 --epochs 10
    run = nnzero.train("mnist", model="committee")         # the documented committee (~8 minutes on 2 cores)

``fit_committee`` trains each member as an ordinary run in ``runs/NAME/members/<i>/`` (side by side
in worker processes where there are cores to spare), then writes ``runs/NAME/best.pt``: one
checkpoint holding every member, whose model returns the log of their mean probability, so that
evaluate, predict, the report, serve and export use it as they use any checkpoint.
"""

from nnzero.training.committee.assemble import assemble, member_log_probs, view_log_probs
from nnzero.training.committee.fit import fit_committee
from nnzero.training.committee.member import train_member
from nnzero.training.committee.plan import Plan, is_committee, member_seed
from nnzero.training.committee.votes import vote_breakdown

__all__ = [
    "Plan",
    "assemble",
    "fit_committee",
    "is_committee",
    "member_log_probs",
    "member_seed",
    "train_member",
    "view_log_probs",
    "vote_breakdown",
]
