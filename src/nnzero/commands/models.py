"""`nnzero models`: list registered models, or print their layers.

nnzero models
nnzero models --summary cnn
nnzero models --task photos --json
"""

from __future__ import annotations

from nnzero.commands._common import add_command, add_json, emit_json
from nnzero.i18n import lang, tr


def register(sub) -> None:
    p = add_command(
        sub,
        "models",
        "list the registered models (name, parameters, description)",
        "列出已注册的模型 (名称、参数量、说明)",
        ["nnzero models", "nnzero models --summary mlp256", "nnzero models --json"],
        run,
    )
    p.add_argument("names", nargs="*", help=tr("only these models", "只显示这些模型"))
    p.add_argument(
        "--summary",
        action="store_true",
        help=tr("print each layer's output shape and parameters", "打印每一层的输出形状和参数量"),
    )
    p.add_argument(
        "--task", choices=["digits", "photos"], help=tr("only models for this task", "只显示该任务的模型")
    )
    add_json(p)


def run(args) -> int:
    from nnzero.models import count_parameters, create_model, list_models, model_entry
    from nnzero.models.summary import format_summary

    names = args.names or list_models(args.task)
    entries = [model_entry(n) for n in names]
    rows = []
    for e in entries:
        model = create_model(e.name)
        rows.append(
            {
                "name": e.name,
                "task": e.task,
                "parameters": count_parameters(model),
                "input": [e.in_channels, e.image_size, e.image_size],
                "description": e.description_zh if lang() == "zh" else e.description,
                **({"imagenet_top1": e.pretrained["imagenet_top1"]} if e.pretrained else {}),
                **({"weights": e.pretrained["weights"]} if e.pretrained else {}),
                **_committee(e),
            }
        )
        if args.summary and not args.json:
            print(f"== {e.name} ==")
            print(format_summary(model, (e.in_channels, e.image_size, e.image_size)))
            print()
    if args.json:
        emit_json({"models": rows})
    elif not args.summary:
        print(
            f"{tr('name', '名称'):<20}{tr('params', '参数量'):>12}  {tr('input', '输入'):<12}{tr('description', '说明')}"
        )
        for r in rows:
            shape = "x".join(map(str, r["input"]))
            print(f"{r['name']:<20}{r['parameters']:>12,}  {shape:<12}{r['description']}")
        _print_backbones([r for r in rows if "weights" in r])
        _print_committees([r for r in rows if "members" in r])
    return 0


def _committee(entry) -> dict:
    """A registered committee's members and the recipe each is trained with."""
    if not entry.committee_of:
        return {}
    from nnzero.models.committee import member_names

    recipe = entry.train_defaults
    return {
        "members": member_names(entry.name),
        "member_epochs": recipe.get("epochs"),
        "tta": recipe.get("tta", "none"),
    }


def _print_committees(rows: list[dict]) -> None:
    if not rows:
        return
    print()
    print(tr("committees (their members, each from its own seed):", "委员会 (成员, 各用自己的随机种子):"))
    for r in rows:
        names = r["members"]
        kinds = " + ".join(f"{names.count(n)} x {n}" for n in dict.fromkeys(names))
        line = tr(
            "{k}, {e} epochs each, test-time augmentation: {t}",
            "{k}, 每个 {e} 轮, 测试时增强: {t}",
            k=kinds,
            e=r["member_epochs"],
            t=r["tta"],
        )
        print(f"  {r['name']:<20}{line}")


def _print_backbones(rows: list[dict]) -> None:
    """Pretrained backbones: ImageNet top-1, parameters, input size, where the weights come from."""
    if not rows:
        return
    print()
    print(tr("pretrained backbones (transfer learning):", "预训练骨干网络 (迁移学习):"))
    print(
        f"  {tr('name', '名称'):<20}{'ImageNet top-1':>15}{tr('params', '参数量'):>12}  "
        f"{tr('input', '输入'):<10}{tr('weights from', '权重来源')}"
    )
    for r in rows:
        shape = "x".join(map(str, r["input"][1:]))
        print(f"  {r['name']:<20}{r['imagenet_top1']:>14}%{r['parameters']:>12,}  {shape:<10}{r['weights']}")
