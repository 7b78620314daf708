"""The IDX reader and the MNIST loader on real files, whole and damaged."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest

from nnzero.datasets.idx import read_idx
from nnzero.datasets.mnist import KNOWN, load_arrays
from nnzero.errors import DataError
from nnzero.i18n import set_lang

LABELS = "t10k-labels-idx1-ubyte.gz"
IMAGES = "t10k-images-idx3-ubyte.gz"


@pytest.fixture
def plain_labels(mnist_dir, tmp_path):
    """The real test labels, gunzipped."""
    path = tmp_path / LABELS[:-3]
    path.write_bytes(gzip.decompress((mnist_dir / LABELS).read_bytes()))
    return path


def test_gz_and_plain_read_the_same(mnist_dir, plain_labels):
    from_gz = read_idx(mnist_dir / LABELS)
    from_plain = read_idx(plain_labels)
    assert from_gz.shape == (10000,) and from_gz.dtype == np.uint8
    np.testing.assert_array_equal(from_gz, from_plain)
    images = read_idx(mnist_dir / IMAGES)
    assert images.shape == (10000, 28, 28) and images.max() == 255


def test_truncated_plain_file(plain_labels):
    raw = plain_labels.read_bytes()
    plain_labels.write_bytes(raw[: len(raw) - 100])
    with pytest.raises(DataError, match=r"truncated .*9,908 bytes.*download the file again"):
        read_idx(plain_labels)


def test_truncated_header(plain_labels):
    plain_labels.write_bytes(plain_labels.read_bytes()[:6])
    with pytest.raises(DataError, match="truncated IDX header"):
        read_idx(plain_labels)


def test_longer_than_header(plain_labels):
    plain_labels.write_bytes(plain_labels.read_bytes() + b"\0" * 7)
    with pytest.raises(DataError, match="longer than its header says"):
        read_idx(plain_labels)


def test_truncated_gzip(mnist_dir, tmp_path):
    path = tmp_path / IMAGES
    raw = (mnist_dir / IMAGES).read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match=rf"{IMAGES}: cannot be decompressed .*download it again"):
        read_idx(path)


def test_wrong_magic(plain_labels, mnist_dir):
    raw = bytearray(plain_labels.read_bytes())
    raw[2] = 0x42  # not a known type code
    plain_labels.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"not an IDX file \(bad magic number 00004201\)"):
        read_idx(plain_labels)
    # a real file of another kind: the MD5SUMS text file under an IDX name
    other = plain_labels.with_name("t10k-images-idx3-ubyte")
    shutil.copy(mnist_dir / "MD5SUMS", other)
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(other)


def test_bad_gzip(mnist_dir, plain_labels, tmp_path):
    # gunzipped bytes under a .gz name
    not_gz = tmp_path / "x" / LABELS
    not_gz.parent.mkdir()
    not_gz.write_bytes(plain_labels.read_bytes())
    with pytest.raises(DataError, match="cannot be decompressed"):
        read_idx(not_gz)
    # a real .gz with one byte of its compressed stream flipped: the CRC check catches it
    raw = bytearray((mnist_dir / LABELS).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    flipped = tmp_path / LABELS
    flipped.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="cannot be decompressed"):
        read_idx(flipped)


def test_md5_mismatch_names_the_file_and_the_fix(mnist_dir, tmp_path):
    # the same pixels recompressed: valid gzip, valid IDX, but not the published file
    for name in KNOWN["mnist"].files:
        shutil.copy(mnist_dir / name, tmp_path / name)
    data = gzip.decompress((mnist_dir / IMAGES).read_bytes())
    (tmp_path / IMAGES).write_bytes(gzip.compress(data, compresslevel=1, mtime=0))
    with pytest.raises(DataError) as err:
        load_arrays("test", "mnist", str(tmp_path))
    message = str(err.value)
    assert str(tmp_path / IMAGES) in message
    assert KNOWN["mnist"].files[IMAGES] in message
    assert f"nnzero data fetch mnist --to {tmp_path}" in message
    set_lang("zh")
    try:
        load_arrays.cache_clear()
        with pytest.raises(DataError, match="与公布的 .* 不符.*解决办法: 运行 `nnzero data fetch mnist"):
            load_arrays("test", "mnist", str(tmp_path))
    finally:
        set_lang(None)
        load_arrays.cache_clear()


def test_missing_file_says_how_to_fetch(tmp_path):
    with pytest.raises(
        DataError, match=rf"{IMAGES}: file not found.*nnzero data fetch mnist --to {tmp_path}"
    ):
        load_arrays("test", "mnist", str(tmp_path))


def test_gunzipped_folder_loads(mnist_dir, tmp_path):
    for name in KNOWN["mnist"].file_names("test"):
        (tmp_path / name[:-3]).write_bytes(gzip.decompress((mnist_dir / name).read_bytes()))
    images, labels = load_arrays("test", "mnist", str(tmp_path))
    ref_images, ref_labels = load_arrays("test", "mnist", str(mnist_dir))
    np.testing.assert_array_equal(images, ref_images)
    np.testing.assert_array_equal(labels, ref_labels)
