"""The photo layouts people download are each detected, labelled right and split the documented way."""

from __future__ import annotations

import numpy as np
import pytest

from nnzero.datasets.layouts import find_photos, photo_id
from nnzero.datasets.photos import HELD_OUT_FRACTION, load_photos, read_photos
from nnzero.errors import DataError

from .conftest import link


def test_kaggle_flat_files_take_their_label_from_the_name(kaggle_subset):
    folder = kaggle_subset(30)
    found = find_photos(folder)
    assert found.layout == "kaggle" and found.classes == ["cat", "dog"]
    assert len(found.files) == 60 and found.labelled
    assert all(f.startswith(found.classes[y] + ".") for f, y in zip(found.files, found.labels))


def test_a_kaggle_test_folder_is_unlabelled_and_sorted_by_id(tmp_path, photos_dir, photo_names):
    for i, name in enumerate(photo_names["dog"][:12] + photo_names["cat"][:12]):
        link(photos_dir / name, tmp_path / "test1" / f"{(i * 7) % 24 + 1}.jpg")
    found = find_photos(tmp_path / "test1")
    assert found.layout == "unlabelled" and not found.labelled and found.classes == []
    assert [photo_id(f) for f in found.files] == list(range(1, 25))  # numeric order, not 1, 10, 11, ...
    with pytest.raises(DataError, match="unlabelled.*nnzero submit"):
        load_photos(tmp_path / "test1", "train", 32)


def test_folder_per_class_takes_any_names_and_any_number(tmp_path, photos_dir, photo_names):
    names = {
        "kitten": photo_names["cat"][:8],
        "puppy": photo_names["dog"][:9],
        "zz_more_cats": photo_names["cat"][8:15],
    }
    for cls, files in names.items():
        for f in files:
            link(photos_dir / f, tmp_path / "pets" / cls / f)
    found = find_photos(tmp_path / "pets")
    assert found.layout == "folders" and found.classes == ["kitten", "puppy", "zz_more_cats"]
    assert np.bincount(found.labels).tolist() == [8, 9, 7]
    data = load_photos(tmp_path / "pets", "train", 32)
    assert data.images.shape[1:] == (3, 32, 32) and data.classes == found.classes


def test_microsofts_petimages_is_found_one_level_down(tmp_path, photos_dir, photo_names):
    for i, f in enumerate(photo_names["cat"][:10]):
        link(photos_dir / f, tmp_path / "kagglecatsanddogs" / "PetImages" / "Cat" / f"{i}.jpg")
    for i, f in enumerate(photo_names["dog"][:10]):
        link(photos_dir / f, tmp_path / "kagglecatsanddogs" / "PetImages" / "Dog" / f"{i}.jpg")
    (tmp_path / "kagglecatsanddogs" / "PetImages" / "Cat" / "Thumbs.db").write_bytes(b"\0" * 64)
    (tmp_path / "kagglecatsanddogs" / "PetImages" / "Cat" / "666.jpg").write_bytes(
        b""
    )  # as in the real download
    found = find_photos(tmp_path / "kagglecatsanddogs")
    assert found.layout == "petimages" and found.classes == ["Cat", "Dog"]
    assert len(found.files) == 21 and found.files[0].startswith("PetImages/Cat/")  # Thumbs.db is no image
    load = read_photos(tmp_path / "kagglecatsanddogs", 32, quiet=True)
    assert [f for f, _ in load.skipped] == ["PetImages/Cat/666.jpg"] and len(load.kept) == 20


def test_held_out_photos_are_a_fixed_stratified_fifth(kaggle_subset):
    folder = kaggle_subset(50)
    train, test = load_photos(folder, "train", 32), load_photos(folder, "test", 32)
    assert len(test) == 2 * round(50 * HELD_OUT_FRACTION) and len(train) + len(test) == 100
    assert np.bincount(test.labels).tolist() == [10, 10]  # the same share of each class
    assert not set(train.files) & set(test.files)
    again = load_photos(folder, "test", 32)  # the same photos every time, whatever the run's seed
    assert again.files == test.files
    assert test.kind == "photos" and test.mean == (0.485, 0.456, 0.406)


def test_a_labelled_test_folder_beside_train_is_the_held_out_set(tmp_path, photos_dir, photo_names):
    for c in ("cat", "dog"):
        for f in photo_names[c][:20]:
            link(photos_dir / f, tmp_path / "d" / "train" / f)
        for f in photo_names[c][20:26]:
            link(photos_dir / f, tmp_path / "d" / "test" / f)
    for i, f in enumerate(photo_names["dog"][30:34]):  # Kaggle's unlabelled test1/ is left for `submit`
        link(photos_dir / f, tmp_path / "d" / "test1" / f"{i + 1}.jpg")
    test = load_photos(tmp_path / "d", "test", 32)
    assert len(test) == 12 and all("/test/" in f for f in test.files)
    assert len(load_photos(tmp_path / "d", "train", 32)) == 40


def test_photo_ids_are_the_number_in_the_name():
    assert photo_id("123.jpg") == 123 and photo_id("dog.45.jpg") == 45 and photo_id("cat.jpg") is None


def test_a_folder_without_photos_says_what_was_expected(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="found no photos. Expected Kaggle"):
        find_photos(tmp_path)
    with pytest.raises(DataError, match="need --data-dir"):
        find_photos(None)


def test_data_info_reads_the_layouts_training_reads(kaggle_subset, tmp_path, capsys):
    """One scanner: `nnzero data info` on Kaggle's flat cat.<n>.jpg folder, as `nnzero train` reads it."""
    import json

    from nnzero.cli import main

    folder = kaggle_subset(12)
    assert main(["data", "info", str(folder), "--json"]) == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert info["kind"] == "photos" and info["layout"] == "kaggle" and info["classes"] == ["cat", "dog"]
    assert info["splits"]["train"]["per_class"] == [12, 12] and "test" not in info["splits"]
    assert sum(n for _, _, n in info["common_sizes"]) <= 24 and info["unreadable"] == 0
    assert main(["data", "info", str(folder)]) == 0
    assert "kaggle layout" in capsys.readouterr().out
