"""The committee put together: its members' outputs on the validation and test images, its metrics,
and best.pt, one checkpoint holding every member (plain tensors, loaded with weights_only=True)."""

from __future__ import annotations

import torch

from nnzero.config import to_dict
from nnzero.models.committee import Committee, log_mean_prob, shift, tta_spec
from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from nnzero.training.committee.plan import Plan
from nnzero.training.committee.votes import vote_breakdown
from nnzero.training.data import prepare_data
from nnzero.training.loop import TensorData


@torch.no_grad()
def view_log_probs(nets, data: TensorData, shifts, batch_size: int = 1000, max_batches=None) -> torch.Tensor:
    """Every network's log-probabilities on every shifted view of every image: (M, S, N, C)."""
    pad = max(1, max(max(abs(dy), abs(dx)) for dy, dx in shifts))
    batch_size = max(1, batch_size // len(shifts))  # about batch_size images a forward pass, views included
    out = []
    for net in nets:
        net.eval()
        parts = []
        for b, first in enumerate(range(0, len(data), batch_size)):
            if max_batches is not None and b >= max_batches:
                break
            index = torch.arange(first, min(first + batch_size, len(data)), device=data.labels.device)
            x, _ = data.batch(index)  # (B, C, H, W)
            views = torch.cat([shift(x, dy, dx, pad) for dy, dx in shifts])  # (S*B, C, H, W)
            logits = net(views).float().view(len(shifts), len(x), -1)  # (S, B, C)
            parts.append(torch.log_softmax(logits, 2))
        out.append(torch.cat(parts, 1))  # (S, N, C)
    return torch.stack(out)  # (M, S, N, C)


def member_log_probs(views: torch.Tensor, spec: dict | None) -> torch.Tensor:
    """(M, N, C): each member's log-probabilities averaged over its views with the spec's weights."""
    if spec is None:
        return views[:, 0]
    weights = torch.tensor(spec["weights"])  # (S,)
    return torch.stack([log_mean_prob(v, weights) for v in views])


def assemble(plan: Plan, summaries: list[dict], *, max_batches=None) -> tuple[dict, torch.Tensor | None]:
    """Write the committee's best.pt; (its metrics, its test log-probabilities (N, C) or None)."""
    ckpts = [load_checkpoint(plan.member_dir(s["index"]) / "best.pt") for s in summaries]
    nets = [model_from_checkpoint(c) for c in ckpts]
    data_cfg, _, member_train = plan.member_configs(0)
    prepared = prepare_data(data_cfg, member_train.seed)  # the committee's split: data.split_seed
    spec = tta_spec(plan.model.tta)
    shifts = spec["shifts"] if spec else [(0, 0)]
    classes = ckpts[0]["classes"]
    metrics: dict = {"members": summaries, "tta": plan.model.tta}
    test_log_probs = None
    for split in ("val", "test"):
        images = getattr(prepared, split)
        if images is None:
            continue
        tensors = TensorData.from_imageset(images, torch.device("cpu"))
        views = view_log_probs(nets, tensors, shifts, max_batches=max_batches)  # (M, S, N, C)
        labels = tensors.labels[: views.shape[2]]
        members = member_log_probs(views, spec)  # (M, N, C)
        votes = vote_breakdown(members, labels, classes)
        metrics[f"{split}_accuracy"] = votes["committee"]["accuracy"]
        metrics[f"{split}_loss"] = votes["committee"]["log_loss"]
        if spec:  # the same committee without the shifts, for comparison
            plain = vote_breakdown(views[:, 0], labels, classes)["committee"]
            metrics[f"{split}_accuracy_no_tta"] = plain["accuracy"]
            metrics[f"{split}_loss_no_tta"] = plain["log_loss"]
        if split == "test":
            metrics["votes"] = votes
            test_log_probs = log_mean_prob(members)
    model = nets[0] if len(nets) == 1 else Committee(nets)
    kwargs = dict(ckpts[0]["model_kwargs"])
    if len(nets) > 1:
        kwargs["members"] = [c["model_name"] for c in ckpts]
    save_checkpoint(
        plan.run_dir / "best.pt",
        model,
        model_name=ckpts[0]["model_name"] if len(nets) == 1 else plan.checkpoint_name(),
        model_kwargs=kwargs,
        classes=classes,
        input_spec=ckpts[0]["input_spec"],
        metrics=metrics,
        config=to_dict(data=plan.data, model=plan.model, train=plan.train),
        dataset=ckpts[0].get("dataset", ""),
        tta=spec,
        extra=_unknown(ckpts),
    )
    return metrics, test_log_probs


def _unknown(ckpts: list[dict]) -> dict | None:
    """best.pt's "unknown" entry: one network (with or without test-time shifts) keeps its own, read
    on the unshifted image; a committee of several has no single layer to compare pictures by, so it
    always names a class (``nnzero evaluate --unknown-dir`` says so)."""
    if len(ckpts) == 1 and ckpts[0].get("unknown"):
        return {"unknown": ckpts[0]["unknown"]}
    return None
