"""Dirty folders: every kind of bad file, built here from real photos, is decoded right or skipped and listed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnzero.cli import main
from nnzero.datasets.photos import decode_photo, read_photos

from .conftest import link

SIZE = 48


def _jpeg_with_size(data: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its frame header (SOF0/SOF2) claiming another size: a decompression bomb."""
    out = bytearray(data)
    i = 2
    while i < len(out):
        marker, length = out[i + 1], int.from_bytes(out[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            out[i + 5 : i + 7] = height.to_bytes(2, "big")
            out[i + 7 : i + 9] = width.to_bytes(2, "big")
            return bytes(out)
        i += 2 + length
    raise AssertionError("no frame header found")


@pytest.fixture
def dirty(tmp_path, photos_dir, photo_names) -> tuple[Path, dict[str, Image.Image]]:
    """A Kaggle-layout folder: 6 good photos and one file of each dirty kind, plus the upright originals."""
    folder = tmp_path / "dirty"
    for c in ("cat", "dog"):
        for f in photo_names[c][:3]:
            link(photos_dir / f, folder / f)
    originals = {}
    for i, f in enumerate(photo_names["dog"][10:18]):
        originals[i] = Image.open(photos_dir / f).convert("RGB")
    raw = (photos_dir / photo_names["dog"][10]).read_bytes()
    (folder / "dog.9001.jpg").write_bytes(raw[: len(raw) // 2])  # truncated
    (folder / "dog.9002.jpg").write_bytes(b"")  # zero bytes
    (folder / "dog.9003.jpg").write_text("this is a text file, not a photo\n")
    (folder / "dog.9004.jpg").write_bytes(_jpeg_with_size(raw, 50_000, 50_000))  # 2.5 gigapixels claimed
    originals[1].convert("CMYK").save(folder / "dog.9005.jpg", quality=95)
    originals[2].convert("L").save(folder / "dog.9006.jpg", quality=95)
    rgba = originals[3].convert("RGBA")
    alpha = np.full(rgba.size[::-1], 255, np.uint8)  # (H, W)
    alpha[:, : rgba.size[0] // 2] = 0  # the left half transparent
    rgba.putalpha(Image.fromarray(alpha))
    rgba.quantize(255, method=Image.Quantize.FASTOCTREE).save(folder / "dog.9007.png")
    grey16 = (np.asarray(originals[4].convert("L"), np.uint16) * 257).astype(np.uint16)  # (H, W) 16-bit
    Image.fromarray(grey16).save(folder / "dog.9008.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; show rotated 90 degrees clockwise
    originals[5].transpose(Image.Transpose.ROTATE_90).save(folder / "dog.9009.jpg", quality=95, exif=exif)
    originals[5].save(folder / "upright.jpg", quality=95)  # not a Kaggle name: not in the data set
    return folder, originals


def test_each_dirty_kind_is_decoded_or_skipped_and_listed(dirty):
    folder, originals = dirty
    load = read_photos(folder, SIZE, quiet=True)
    skipped = dict(load.skipped)
    assert sorted(skipped) == ["dog.9001.jpg", "dog.9002.jpg", "dog.9003.jpg", "dog.9004.jpg"]
    assert "truncated" in skipped["dog.9001.jpg"] and "empty" in skipped["dog.9002.jpg"]
    assert "not an image" in skipped["dog.9003.jpg"] and "too many pixels" in skipped["dog.9004.jpg"]
    assert len(load.kept) == len(load.listing.files) - 4 == 11
    images = {load.listing.files[i]: img.astype(int) for i, img in zip(load.kept, load.images)}

    def reference(image: Image.Image) -> np.ndarray:
        buf = io.BytesIO()
        image.save(buf, "PNG")
        return decode_photo_bytes(buf.getvalue())

    def decode_photo_bytes(data: bytes) -> np.ndarray:
        path = folder.parent / "ref.png"
        path.write_bytes(data)
        return decode_photo(str(path), SIZE).astype(int)

    cmyk = images["dog.9005.jpg"]
    assert np.abs(cmyk - reference(originals[1])).mean() < 12  # colours survive CMYK
    grey = images["dog.9006.jpg"]
    assert (grey[0] == grey[1]).all() and (grey[1] == grey[2]).all()
    palette = images["dog.9007.png"]
    assert (palette[:, :, : SIZE // 2 - 2] == 255).all()  # transparent pixels become white
    assert np.abs(palette[:, :, SIZE // 2 + 2 :] - reference(originals[3])[:, :, SIZE // 2 + 2 :]).mean() < 12
    wide = images["dog.9008.png"][0]
    expected = reference(originals[4].convert("L"))[0]
    assert (
        np.corrcoef(wide.ravel(), expected.ravel())[0, 1] > 0.99 and wide.std() > 10
    )  # scaled, not clipped white
    rotated, upright = images["dog.9009.jpg"], reference(originals[5])
    assert np.abs(rotated - upright).mean() < 6  # EXIF orientation applied...
    assert np.abs(np.rot90(rotated, 1, (1, 2)) - upright).mean() > 20  # ...which matters for this photo


@pytest.mark.slow  # trains on the photos (about 2 s)
def test_a_run_lists_the_skipped_files_in_its_folder(dirty, tmp_path, capsys):
    folder, _ = dirty
    code = main(
        ["train", "catsdogs", "--data-dir", str(folder), "--model", "lenet", "--epochs", "1",
         "--val-fraction", "0", "--name", "r", "--runs-dir", str(tmp_path / "runs"), "--json"]
    )  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    summary = [line for line in err.splitlines() if line.startswith("skipped 4 of 15 files")]
    assert len(summary) == 1  # one line, printed once for train and test together
    listed = (tmp_path / "runs" / "r" / "skipped_files.txt").read_text().splitlines()
    assert [line.split("\t")[0] for line in listed] == [f"dog.900{i}.jpg" for i in range(1, 5)]
    assert json.loads((tmp_path / "runs" / "r" / "config.json").read_text())["data"]["image_size"] == 64


def test_a_folder_of_nothing_but_bad_files_is_a_clear_error(tmp_path):
    from nnzero.errors import DataError

    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "cat.1.jpg").write_bytes(b"")
    (tmp_path / "bad" / "dog.1.jpg").write_text("no")
    with pytest.raises(DataError, match="none of the 2 images .* could be decoded"):
        read_photos(tmp_path / "bad", SIZE, quiet=True)
