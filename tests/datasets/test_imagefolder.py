"""Export MNIST to PNG folders and read image folders back: pixels, order, sizes, colour, cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnzero.datasets.export import export_idx
from nnzero.datasets.foldertree import is_image_file, list_images
from nnzero.datasets.imagefolder import has_split, load_imagefolder, read_imagefolder
from nnzero.datasets.mnist import load_arrays
from nnzero.errors import DataError

LIMIT = 300


@pytest.fixture(scope="module")
def exported(tmp_path_factory, mnist_dir) -> Path:
    """The first 300 MNIST train and test images as train/<digit>/<n>.png and test/<digit>/<n>.png."""
    root = tmp_path_factory.mktemp("mnist_png")
    result = export_idx("mnist", root, str(mnist_dir), LIMIT)
    assert result["written"] == 2 * LIMIT and not result["skipped"]
    return root


@pytest.fixture
def tree(exported, tmp_path) -> Path:
    """A private copy of the exported tree, for tests that add files or write a cache into it."""
    return Path(shutil.copytree(exported, tmp_path / "tree"))


@pytest.fixture
def count_opens(monkeypatch):
    """Counts every Image.open call, i.e. every file the loader reads as an image."""
    calls = []
    real_open = Image.open

    def counting_open(fp, *args, **kwargs):
        calls.append(fp)
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counting_open)
    return calls


@pytest.mark.parametrize("split", ["train", "test"])
def test_export_and_load_round_trip(tree, mnist_dir, split):
    x, y = load_arrays(split, "mnist", str(mnist_dir))
    data = load_imagefolder(tree, split)
    index = np.array([int(Path(f).stem) for f in data.files])
    assert sorted(index) == list(range(LIMIT))
    assert data.images.shape == (LIMIT, 1, 28, 28) and data.images.dtype == np.uint8
    np.testing.assert_array_equal(data.images[:, 0], x[index])
    np.testing.assert_array_equal(data.labels, y[index])
    assert data.classes == [str(d) for d in range(10)] and data.kind == "digits"
    assert abs(data.mean[0] - 0.1307) < 0.02 and abs(data.std[0] - 0.3081) < 0.02


def test_export_is_idempotent_and_follows_the_limit(tree, mnist_dir):
    pngs = sorted(tree.glob("*/*/*.png"))
    before = [p.stat().st_mtime_ns for p in pngs]
    again = export_idx("mnist", tree, str(mnist_dir), LIMIT)
    assert again["skipped"] and again["written"] == 0
    assert [p.stat().st_mtime_ns for p in pngs] == before
    smaller = export_idx("mnist", tree, str(mnist_dir), 100)
    assert smaller["written"] == 200
    assert len(list(tree.glob("train/*/*.png"))) == 100 and len(list(tree.glob("test/*/*.png"))) == 100
    with pytest.raises(DataError, match="already holds an export of mnist"):
        export_idx("fashion-mnist", tree, str(mnist_dir), 10)


def test_second_load_decodes_nothing(tree, count_opens):
    first = read_imagefolder(tree, "train", quiet=True)
    assert not first.cache.hit and len(count_opens) >= LIMIT
    count_opens.clear()
    second = read_imagefolder(tree, "train", quiet=True)
    assert second.cache.hit and count_opens == []
    assert isinstance(second.data.images, np.memmap)
    np.testing.assert_array_equal(second.data.images, first.data.images)
    assert second.data.files == first.data.files

    # change one picture: the cache notices, decodes again, and keeps one entry per split and size
    changed = Path(first.data.files[0])
    other = np.asarray(Image.open(first.data.files[-1]))
    Image.fromarray(other).save(changed)
    os.utime(changed, ns=(1, 1))
    third = read_imagefolder(tree, "train", quiet=True)
    assert not third.cache.hit and count_opens
    np.testing.assert_array_equal(third.data.images[0, 0], other)
    assert len(list((tree / ".nnzero-cache").glob("*.npy"))) == 1


@pytest.mark.slow  # imports torchvision (about 2 s)
def test_order_and_classes_match_torchvision(tree):
    from torchvision.datasets import ImageFolder

    nested = tree / "train" / "3" / "more"
    nested.mkdir()
    shutil.copy(next((tree / "train" / "7").glob("*.png")), nested / "copied.png")
    (tree / "train" / "3" / "notes.txt").write_text("not an image")
    data = load_imagefolder(tree, "train")  # also leaves train/.nnzero-cache? no: the cache sits at the root
    reference = ImageFolder(str(tree / "train"))
    assert data.classes == reference.classes
    assert data.files == [p for p, _ in reference.samples]
    np.testing.assert_array_equal(data.labels, [label for _, label in reference.samples])


def test_undecodable_files_are_skipped_and_listed(tree, capsys):
    good = next((tree / "train" / "0").glob("*.png"))
    (tree / "train" / "0" / "half.png").write_bytes(good.read_bytes()[:60])
    (tree / "train" / "1" / "notes.png").write_text("this is text, not a PNG")
    for attempt in range(2):  # the second load comes from the cache and still reports them
        load = read_imagefolder(tree, "train")
        assert len(load.data) == LIMIT
        assert sorted(p for p, _ in load.skipped) == ["train/0/half.png", "train/1/notes.png"]
        assert all(why for _, why in load.skipped)
        err = capsys.readouterr().err
        assert f"skipped 2 of {LIMIT + 2} files in {tree}" in err and "half.png" in err
        assert not any(f.endswith(("half.png", "notes.png")) for f in load.data.files)
        assert load.cache.hit == (attempt == 1)


def test_mixed_sizes_are_resized(tree, mnist_dir):
    x, _ = load_arrays("train", "mnist", str(mnist_dir))
    for path in list(tree.glob("train/5/*.png")):  # the fives, enlarged to 56x56
        Image.open(path).resize((56, 56), Image.Resampling.BILINEAR).save(path)
    auto = load_imagefolder(tree, "train")
    assert auto.images.shape == (LIMIT, 1, 64, 64)  # not one shared size: the default 64
    test = load_imagefolder(tree, "test")
    assert test.images.shape[1:] == (1, 64, 64)  # decided over the whole tree, so test agrees
    fixed = load_imagefolder(tree, "train", image_size=28)
    assert fixed.images.shape == (LIMIT, 1, 28, 28)
    unchanged = fixed.labels != 5
    index = np.array([int(Path(f).stem) for f in fixed.files])
    np.testing.assert_array_equal(fixed.images[unchanged, 0], x[index[unchanged]])


def _photos(catsdogs_dir: Path, root: Path, n: int = 6) -> None:
    for kind in ("cat", "dog"):
        (root / kind).mkdir(parents=True)
        for path in sorted(catsdogs_dir.glob(f"{kind}.*.jpg"))[:n]:
            shutil.copy(path, root / kind / path.name)


def test_colour_photos_of_mixed_sizes(catsdogs_dir, tmp_path):
    root = tmp_path / "pets"
    _photos(catsdogs_dir, root)
    data = load_imagefolder(root)
    assert data.classes == ["cat", "dog"] and data.kind == "photos"
    assert data.images.shape == (12, 3, 64, 64)
    assert list(data.labels) == [0] * 6 + [1] * 6
    # JPEG draft decoding at reduced scale stays close to a full decode then resize
    with Image.open(data.files[0]) as img:
        full = np.asarray(img.convert("RGB").resize((64, 64), Image.Resampling.BILINEAR)).transpose(2, 0, 1)
    assert np.abs(data.images[0].astype(int) - full).mean() < 8
    assert has_split(root, "train") and not has_split(root, "test")
    # a DataError for the user, and a FileNotFoundError for code that treats a test set as optional
    with pytest.raises(FileNotFoundError, match=r"has no test/ folder.*train/<class>/") as err:
        load_imagefolder(root, "test")
    assert isinstance(err.value, DataError)


def test_grey_and_colour_together_load_as_colour(catsdogs_dir, exported, tmp_path):
    root = tmp_path / "mixed"
    _photos(catsdogs_dir, root / "train", 2)
    shutil.copytree(exported / "train" / "4", root / "train" / "four")
    data = load_imagefolder(root, "train")
    assert data.classes == ["cat", "dog", "four"] and data.images.shape[1:] == (3, 64, 64)
    digits = data.images[data.labels == 2]  # (n, 3, 64, 64): grey pictures, so R = G = B
    np.testing.assert_array_equal(digits[:, 0], digits[:, 1])
    np.testing.assert_array_equal(digits[:, 0], digits[:, 2])


def test_clear_errors(tmp_path, tree):
    with pytest.raises(DataError, match="needs --data-dir DIR"):
        load_imagefolder(None)
    with pytest.raises(DataError, match="no such folder"):
        load_imagefolder(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no class folders"):
        load_imagefolder(tmp_path / "empty")
    shutil.copytree(tree / "test" / "0", tree / "test" / "zebra")
    with pytest.raises(DataError, match="classes that train/ lacks: zebra"):
        load_imagefolder(tree, "test")
    with pytest.raises(DataError, match=r"has no val/ folder \(found: train, test\)"):
        load_imagefolder(tree, "val")


def test_files_and_folders_deleted_while_listing_are_left_out(tree):
    """Another program (or another request of the Teach server) deletes while a listing runs: what is gone
    by the time it is read is simply not there, never an error. ``accept`` runs between the folder's
    listing and the files' stat, so deleting from it is that race, made certain."""
    train = tree / "train"
    (train / "1" / "sub").mkdir()
    shutil.copy(next((train / "1").glob("*.png")), train / "1" / "sub" / "x.png")
    every, _ = list_images(train, ["0", "1"])
    doomed = {f"0/{p.name}" for p in sorted((train / "0").glob("*.png"))[:3]}

    def delete_while_listing(name: str) -> bool:
        if f"0/{name}" in doomed:
            (train / "0" / name).unlink(missing_ok=True)
        shutil.rmtree(train / "1" / "sub", ignore_errors=True)  # listed in 1/, gone before it is walked
        return is_image_file(name)

    prints, labels = list_images(train, ["0", "1"], accept=delete_while_listing)
    left = [rel for rel, *_ in every if rel not in doomed and rel != "1/sub/x.png"]
    assert [rel for rel, *_ in prints] == left and len(left) == len(every) - 4
    assert labels == [int(rel[0]) for rel in left]


def test_unwritable_cache_still_loads(tree, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("a cache folder cannot be made inside a file")
    load = read_imagefolder(tree, "test", cache_dir=blocker / "cache")
    assert len(load.data) == LIMIT and not load.cache.hit
    assert "could not write the cache" in capsys.readouterr().err


def test_process_pool_decodes_the_same(exported):
    from nnzero.datasets.decode import decode_images

    paths = sorted(str(p) for p in exported.glob("train/*/*.png"))
    paths.insert(5, str(exported / "absent.png"))  # a failure in the middle keeps its index
    one, failed_one = decode_images(paths, 32, 3, workers=1)
    two, failed_two = decode_images(paths, 32, 3, workers=2)
    np.testing.assert_array_equal(one, two)
    assert failed_one.keys() == failed_two.keys() == {5}
