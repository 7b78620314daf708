"""Every command answers --help with an example, and runs with --dry-run in seconds."""

import json

import pytest

from nnzero.cli import build_parser, main


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


@pytest.mark.parametrize("command", _subcommands())
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "nnzero " + command in out and ("examples:" in out)


def test_help_in_chinese(capsys):
    with pytest.raises(SystemExit):
        main(["--lang", "zh", "train", "--help"])
    assert "示例" in capsys.readouterr().out


def test_train_dry_run_trains_one_step_and_writes_nothing(tmp_path, capsys, monkeypatch):
    """One real step, then one batch of real test digits: better than an untrained network, no files."""
    monkeypatch.chdir(tmp_path)
    args = ["train", "mnist", "--model", "mlp128", "--lr", "0.006", "--batch-size", "256", "--seed", "0"]
    assert main([*args, "--dry-run", "--json", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["dry_run"] is True and result["run_dir"] is None and result["checkpoint"] is None
    ## Untrained: loss ln(10) = 2.30 and accuracy 0.1. One Adam step on 256 real digits already does better
    ## (measured over seeds 0-4: loss 1.75-1.85, accuracy 0.27-0.47; seed 0: 1.75 and 0.41).
    assert result["test_loss"] < 2.1 and result["test_accuracy"] > 0.2, result
    assert not (tmp_path / "runs").exists() and list(tmp_path.iterdir()) == []


def test_evaluate_and_predict_dry_run(small_checkpoint, tmp_path, capsys):
    """evaluate --dry-run scores the first 500 real test digits; predict --dry-run predicts but saves nothing."""
    from pathlib import Path

    import numpy as np
    import torch

    from nnzero.datasets import load_arrays
    from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint

    assert main(["evaluate", str(small_checkpoint), "--dry-run", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["images"] == 500 and not (small_checkpoint.parent / "eval").exists()
    images, labels = load_arrays("test")
    x = (torch.from_numpy(images[:500].copy()).float()[:, None] / 255 - 0.1307) / 0.3081  # (500, 1, 28, 28)
    with torch.no_grad():
        predicted = model_from_checkpoint(load_checkpoint(small_checkpoint))(x).argmax(1).numpy()  # (500,)
    assert result["test_accuracy"] == pytest.approx((predicted == labels[:500]).mean(), abs=1e-9)
    assert result["test_accuracy"] > 0.85  # measured 0.884 (all 10,000: 0.88)
    matrix = np.array(result["confusion_matrix"])  # (10, 10): rows are the true digits
    assert matrix.sum(1).tolist() == np.bincount(labels[:500], minlength=10).tolist()
    assert [result["per_class"][str(d)]["support"] for d in range(10)] == matrix.sum(1).tolist()

    photos = sorted((Path(__file__).parent / "fixtures" / "digits").glob("d*_*"))
    seen = tmp_path / "seen.png"
    argv = ["predict", str(small_checkpoint), *map(str, photos), "--save-input", str(seen)]
    assert main([*argv, "--dry-run", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["file"] for r in lines] == list(map(str, photos))
    for r in lines:
        assert {t["label"] for t in r["top"]} <= set("0123456789")
        probs = [t["prob"] for t in r["top"]]
        assert len(probs) == 3 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    right = sum(r["top"][0]["label"] == Path(r["file"]).name[1] for r in lines)  # d<label>_<index>_<kind>
    assert right >= len(photos) - 3  # as without --dry-run: a dry run predicts for real
    assert not seen.exists()  # ...but writes nothing


def test_evaluate_writes_figures_and_lists_mistakes(small_checkpoint, capsys):
    assert main(["evaluate", str(small_checkpoint), "--json", "--mistakes", "5"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (
        result["images"] == 10_000
        and abs(result["test_accuracy"] - (1 - result["misclassified"] / 10_000)) < 1e-9
    )
    assert len(result["mistakes"]) == 5
    top = result["mistakes"][0]
    assert top["true"] != top["predicted"] and top["confidence"] >= result["mistakes"][-1]["confidence"]
    for key in ("confusion", "mistakes_png", "mistakes_csv", "metrics"):
        assert (small_checkpoint.parent / "eval").joinpath(
            result["files"][key].split("/")[-1]
        ).stat().st_size > 500


def test_models_lists_the_registry_with_parameter_counts(capsys):
    assert main(["models", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["models"]}
    assert rows["mlp256"]["parameters"] == 203_530 and {"mlp128", "mlp64x3", "lenet5", "cnn"} <= set(rows)
    assert main(["models", "--summary", "mlp256"]) == 0
    assert "The model has 203,530 trainable parameters" in capsys.readouterr().out


def test_bad_input_gets_a_clear_error_not_a_traceback(capsys):
    assert main(["train", "mnist", "--model", "nope", "--dry-run"]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert main(["train", "mnist", "--set", "train.epochz=3", "--dry-run"]) == 2
    assert "unknown setting train.epochz" in capsys.readouterr().err
    assert main(["evaluate", "/nonexistent/best.pt"]) == 2
    assert "no such checkpoint" in capsys.readouterr().err


def test_predict_recognises_photos_of_real_digits_and_reports_bad_files(small_checkpoint, tmp_path, capsys):
    """Photos made from MNIST test digits (dark ink on paper, any size): one error line, the rest predicted."""
    from pathlib import Path

    photos = sorted((Path(__file__).parent / "fixtures" / "digits").glob("d*_*"))
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    assert (
        main(["predict", str(small_checkpoint), str(photos[0]), str(bad), *map(str, photos[1:]), "--json"])
        == 0
    )
    lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    assert len(lines) == len(photos) + 1
    assert lines[1]["file"] == str(bad) and "not an image" in lines[1]["error"]
    results = [r for r in lines if "top" in r]
    right = sum(r["top"][0]["label"] == r["file"].split("/")[-1][1] for r in results)
    assert all(len(r["top"]) == 3 and r["top"][0]["prob"] >= r["top"][1]["prob"] for r in results)
    assert right >= len(results) - 3  # a 1-epoch MLP; the default CNN gets all of them
