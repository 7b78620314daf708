"""open_image, to_mode and prepare_photo on real files and on broken files the tests build themselves."""

from __future__ import annotations

import io
import os
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnzero.datasets.digit_photos import prepare_digit
from nnzero.datasets.images import open_image, prepare_photo, to_mode
from nnzero.errors import DataError
from nnzero.i18n import set_lang

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "tests" / "fixtures" / "digits"
PAPER = DIGITS / "d7_0_paper.jpg"  # a 7 on yellowish paper, 300x400 JPEG
MNIST_7 = DIGITS / "mnist_test_0_7.png"


def mnist_corr(digit: np.ndarray) -> float:
    """Correlation of a prepared digit with MNIST test digit 0 (the 7 that PAPER was made from)."""
    original = np.asarray(Image.open(MNIST_7), dtype=np.float64)
    return float(np.corrcoef(digit.ravel().astype(np.float64), original.ravel())[0, 1])


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def grey_png(width: int, height: int, idat: bytes) -> bytes:
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])  # 8-bit grey
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


# ---- files that cannot be images -------------------------------------------------------------------


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.jpg: file not found"):
        open_image(tmp_path / "nope.jpg")


def test_folder_is_not_an_image(tmp_path):
    with pytest.raises(DataError, match="folder"):
        open_image(tmp_path)


def test_zero_byte_file(tmp_path):
    empty = tmp_path / "666.jpg"  # like PetImages/Cat/666.jpg
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=r"666\.jpg: the file is empty \(0 bytes\)"):
        open_image(empty)


def test_text_file_named_png(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("shopping list: milk, eggs\n")
    with pytest.raises(DataError, match=r"notes\.png: not an image"):
        open_image(fake)


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_jpeg(tmp_path, keep):
    data = (DIGITS / "d2_1_large.jpg").read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(DataError, match=r"cut\.jpg: the image is truncated or damaged"):
        open_image(cut)


def test_truncated_png(tmp_path):
    data = (DIGITS / "d3_18_scan.png").read_bytes()
    with pytest.raises(DataError, match="truncated or damaged"):
        open_image(data[: len(data) // 2], name="scan.png")


def test_too_many_bytes(tmp_path):
    with pytest.raises(DataError, match=r"d7_0_paper\.jpg: 13,\d{3} bytes is more than the limit of 10,000"):
        open_image(PAPER, max_bytes=10_000)
    assert open_image(PAPER, max_bytes=100_000).size == (300, 400)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    """A real, valid 10000x5000 PNG of 45 KB that would take 50 MB decoded."""
    width, height = 10_000, 5_000
    squeeze = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte + pixels
    idat = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(grey_png(width, height, idat))
    assert bomb.stat().st_size < 100_000
    start = time.perf_counter()
    with pytest.raises(DataError, match=r"bomb\.png: 10000x5000 = 50\.0 megapixels is more than the limit"):
        open_image(bomb, max_pixels=40_000_000)
    assert time.perf_counter() - start < 0.5  # nothing was decoded
    assert open_image(bomb, max_pixels=60_000_000).size == (width, height)  # it IS a valid image


@pytest.mark.parametrize("side", [10_000, 100_000])  # Pillow warns above 89 Mpx and refuses above 179 Mpx
def test_pillow_bomb_limits_become_data_errors(tmp_path, side):
    declared = grey_png(side, side, zlib.compress(bytes(side + 1)))  # declares side x side, holds one row
    with pytest.raises(DataError, match="too many pixels"):
        open_image(declared, max_pixels=None, name="huge.png")


def test_errors_in_chinese(tmp_path):
    set_lang("zh")
    try:
        with pytest.raises(DataError, match="找不到文件"):
            open_image(tmp_path / "missing.png")
        with pytest.raises(DataError, match="不是 Pillow 能读取的图片"):
            open_image(b"plain text", name="a.png")
    finally:
        set_lang(None)


# ---- images that need care to decode right ---------------------------------------------------------


def test_bytes_and_paths_give_the_same_image():
    a, b = open_image(PAPER), open_image(PAPER.read_bytes(), name="upload.jpg")
    assert a.size == b.size == (300, 400) and np.array_equal(np.asarray(a), np.asarray(b))


def test_draft_decodes_big_jpeg_smaller():
    small = open_image(DIGITS / "d2_1_large.jpg", draft=(200, 200))  # 1000x800 on disk
    assert small.size == (250, 200)


def test_exif_orientation_is_applied(tmp_path):
    upright = open_image(PAPER)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = tmp_path / "phone.jpg"
    upright.transpose(Image.Transpose.ROTATE_90).save(path, quality=95, exif=exif)  # stored lying on its side
    raw = Image.open(path)
    assert raw.size == (400, 300)
    opened = open_image(path)
    assert opened.size == (300, 400)
    assert np.abs(np.asarray(opened, float) - np.asarray(upright, float)).mean() < 3
    assert mnist_corr(prepare_digit(opened)) > 0.85
    assert mnist_corr(prepare_digit(raw)) < 0.5  # a 7 on its side is not a 7


def test_cmyk_jpeg(tmp_path):
    rgb = open_image(PAPER)
    path = tmp_path / "print.jpg"
    rgb.convert("CMYK").save(path, quality=95)
    cmyk = open_image(path)
    assert cmyk.mode == "CMYK"
    back = to_mode(cmyk, 3)
    assert back.mode == "RGB" and np.abs(np.asarray(back, float) - np.asarray(rgb, float)).mean() < 4
    assert mnist_corr(prepare_digit(cmyk)) > 0.85
    rgb.convert("CMYK").save(path, quality=95, icc_profile=b"not a colour profile")
    damaged = open_image(path)
    assert damaged.info["icc_profile"] == b"not a colour profile"
    assert np.array_equal(np.asarray(to_mode(damaged, 3)), np.asarray(back))  # falls back to the formula


def test_palette_png_with_transparency_goes_on_white(tmp_path):
    ink = np.asarray(Image.open(MNIST_7).resize((140, 140), Image.Resampling.BILINEAR)) > 100  # (140, 140)
    sticker = Image.fromarray(ink.astype(np.uint8), "P")
    sticker.putpalette([0, 0, 0, 0, 0, 0])  # index 0 (background) AND index 1 (ink) are both black...
    path = tmp_path / "sticker.png"
    sticker.save(path, transparency=0)  # ...but the background is transparent
    opened = open_image(path)
    assert opened.mode == "P" and "transparency" in opened.info
    assert np.asarray(opened.convert("L")).max() == 0  # the naive conversion loses the digit
    grey = np.asarray(to_mode(opened, 1))
    assert set(np.unique(grey)) == {0, 255} and grey[0, 0] == 255
    assert mnist_corr(prepare_digit(opened)) > 0.75  # hard-edged (binary) ink: a little lower than grey
    with pytest.raises(DataError, match="no ink"):
        prepare_digit(opened.convert("L"))


def test_16_bit_png_is_scaled_by_its_range(tmp_path):
    grey = np.asarray(open_image(DIGITS / "d3_18_scan.png"), dtype=np.uint16)  # (300, 300)
    deep = (20_000 + grey * 8).astype(np.uint16)  # a dim 16-bit scan: 20000..22040 of 65535
    path = tmp_path / "scan16.png"
    Image.fromarray(deep).save(path)
    opened = open_image(path)
    assert opened.mode in ("I;16", "I")
    assert np.asarray(opened.convert("L")).min() == 255  # Pillow's own conversion clips: all white
    eight = np.asarray(to_mode(opened, 1), dtype=np.float64)
    assert eight.min() == 0 and eight.max() == 255
    assert np.corrcoef(eight.ravel(), grey.ravel())[0, 1] > 0.999
    assert to_mode(opened, 3).mode == "RGB"


def test_other_modes():
    grey = open_image(MNIST_7)  # white 7 on black, 'L'
    values = np.asarray(grey, dtype=np.float32)
    bits = Image.fromarray(values > 127)  # mode '1'
    assert bits.mode == "1" and np.array_equal(np.asarray(to_mode(bits, 1)), (values > 127) * np.uint8(255))
    floats = Image.fromarray(values / 255.0 - 0.5, "F")  # -0.5..0.5
    assert np.abs(np.asarray(to_mode(floats, 1), np.float32) - values).max() <= 1
    white = Image.new("L", grey.size, 255)
    rgba = Image.merge("RGBA", [white, white, white, grey])  # white ink on transparent
    assert np.asarray(to_mode(rgba, 1)).min() == 255  # white ink composited on white: nothing left
    la = Image.merge("LA", [Image.new("L", grey.size, 0), grey])  # black ink on transparent
    assert np.array_equal(np.asarray(to_mode(la, 1)), 255 - np.asarray(grey))
    assert to_mode(grey, 3).mode == "RGB" and to_mode(Image.new("YCbCr", (4, 4)), 1).mode == "L"
    with pytest.raises(ValueError, match="channels"):
        to_mode(grey, 2)


# ---- the photo eval transform, on a real cat/dog photo -----------------------------------------------


def catsdogs_train() -> Path | None:
    roots = [Path(os.environ["NNZERO_CATSDOGS"])] if os.environ.get("NNZERO_CATSDOGS") else []
    roots.append(Path(os.environ.get("NNZERO_SHARED_DATA", REPO.parent / "shared" / "data")) / "catsdogs")
    for root in roots:
        for folder in (root / "train", root):
            if folder.is_dir() and next(folder.glob("*.jpg"), None):
                return folder
    return None


@pytest.fixture(scope="module")
def photos() -> list[Path]:
    folder = catsdogs_train()
    if folder is None:
        pytest.skip("no cat/dog photos: put them in ../shared/data/catsdogs/train or set NNZERO_CATSDOGS")
    return sorted(folder.glob("*.jpg"))[:40]


def test_prepare_photo_matches_torchvision_eval_transform(photos):
    tvf = pytest.importorskip("torchvision.transforms.functional")
    shapes = set()
    for path in photos[:12]:
        image = open_image(path)
        shapes.add(image.width > image.height)
        ours = prepare_photo(image, 96, 3)
        assert ours.shape == (3, 96, 96) and ours.dtype == np.uint8
        theirs = np.asarray(tvf.center_crop(tvf.resize(image.convert("RGB"), 96), 96)).transpose(2, 0, 1)
        assert np.array_equal(ours, theirs), path.name
        grey = prepare_photo(image, 64, 1)
        assert grey.shape == (1, 64, 64)
    assert shapes == {True, False}, "want both landscape and portrait photos among the first 12"


def test_prepare_photo_keeps_the_centre(photos):
    image = next(im for im in map(open_image, photos) if im.width > im.height)  # a landscape photo
    wide = Image.new("RGB", (image.width * 3, image.height), (255, 0, 0))  # the photo between red bands
    wide.paste(image, (image.width, 0))

    def red(x: np.ndarray) -> float:
        return float(((x[0] > 230) & (x[1] < 25) & (x[2] < 25)).mean())

    assert red(prepare_photo(wide, 64, 3)) < 0.01  # the central square lies inside the photo
    assert red(prepare_photo(wide.crop((0, 0, image.width * 2, image.height)), 64, 3)) > 0.2  # not centred


def test_prepare_photo_of_odd_modes(photos):
    image = open_image(photos[1])
    for odd in (image.convert("CMYK"), image.convert("L"), image.convert("RGBA"), image.convert("P")):
        out = prepare_photo(odd, 32, 3)
        assert out.shape == (3, 32, 32) and out.dtype == np.uint8
        assert np.abs(out.astype(float) - prepare_photo(image, 32, 3)).mean() < 25


def test_open_many_real_photos_leaves_no_file_open(photos):
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("no /proc/self/fd to count open files on this system")
    before = len(list(fds.iterdir()))
    sizes = [open_image(path).size for path in photos]
    assert len(list(fds.iterdir())) == before and all(w > 0 and h > 0 for w, h in sizes)
    buffer = io.BytesIO()
    open_image(photos[0]).save(buffer, "JPEG")
    assert open_image(buffer.getvalue()).size == open_image(photos[0]).size
