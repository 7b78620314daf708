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


def test_train_dry_run_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "mnist", "--dry-run", "--json", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["dry_run"] is True and 0 <= result["test_accuracy"] <= 1
    assert not (tmp_path / "runs").exists()


def test_evaluate_and_predict_dry_run(small_checkpoint, capsys):
    assert main(["evaluate", str(small_checkpoint), "--dry-run", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["images"] == 500 and "per_class" in result
    assert not (small_checkpoint.parent / "eval").exists()


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
