"""Photos are decoded once: the second load reads the cached array and decodes nothing."""

from __future__ import annotations

import numpy as np

from nnzero.datasets import photos, reader
from nnzero.datasets.photos import load_photos, read_photos

from .conftest import link


def test_the_second_load_decodes_nothing(kaggle_subset, monkeypatch):
    folder = kaggle_subset(100)  # 200 real photos
    first = read_photos(folder, 32, quiet=True)
    assert not first.cache.hit and first.images.shape == (200, 3, 32, 32)

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded a photo although the cache holds it")

    monkeypatch.setattr(photos, "decode_photo", no_decoding)
    monkeypatch.setattr(reader, "decode_images", no_decoding)  # the one reader every folder goes through
    second = read_photos(folder, 32, quiet=True)
    assert second.cache.hit and isinstance(second.images, np.memmap)  # memory-mapped, not read whole
    np.testing.assert_array_equal(second.images, first.images)
    train, test = load_photos(folder, "train", 32), load_photos(folder, "test", 32)  # both splits: one entry
    assert len(train) + len(test) == 200


def test_the_key_is_the_file_list_and_the_size(kaggle_subset, photos_dir, photo_names):
    folder = kaggle_subset(20)
    assert not read_photos(folder, 32, quiet=True).cache.hit
    assert not read_photos(folder, 40, quiet=True).cache.hit  # another size: another array
    assert read_photos(folder, 32, quiet=True).cache.hit
    link(photos_dir / photo_names["cat"][50], folder / photo_names["cat"][50])  # one photo more
    grown = read_photos(folder, 32, quiet=True)
    assert not grown.cache.hit and len(grown.kept) == 41


def test_cached_pixels_are_what_predict_would_see(kaggle_subset):
    """Training data and `nnzero predict` prepare a photo the same way (shorter side, centre crop)."""
    from nnzero.datasets.images import open_image, prepare_photo

    folder = kaggle_subset(3)
    load = read_photos(folder, 64, quiet=True)
    for i, path in zip(load.kept, load.paths()):
        served = prepare_photo(open_image(path), 64, 3).astype(int)  # (3, 64, 64) without JPEG draft mode
        assert np.abs(load.images[list(load.kept).index(i)].astype(int) - served).mean() < 4


def test_a_damaged_cache_file_is_rebuilt_not_used(kaggle_subset, capsys):
    """Cut short (a full disk, a kill) or altered (a bit flipped): detected by size and CRC-32, rebuilt."""
    folder = kaggle_subset(10)
    first = read_photos(folder, 32, quiet=True)
    expected = np.array(first.images)
    npy = first.cache.path
    whole = npy.read_bytes()
    for damage in (whole[: len(whole) // 2], whole[:-1] + bytes([whole[-1] ^ 1])):
        npy.write_bytes(damage)
        again = read_photos(folder, 32, quiet=True)
        assert not again.cache.hit  # decoded afresh
        np.testing.assert_array_equal(again.images, expected)
        err = capsys.readouterr().err
        assert "is damaged" in err and npy.name in err and len(err.strip().splitlines()) == 1
        assert read_photos(folder, 32, quiet=True).cache.hit  # rebuilt whole: used again
        assert npy.read_bytes() == whole
