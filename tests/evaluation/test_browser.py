"""report.html in a real browser: headless Chromium (Debian `chromium`) shows every image, none broken.

The report itself has no script. For the check, a copy gets a few lines of script that, once the
page has loaded, write each image's decoded width into the DOM; Chromium's --dump-dom then
prints that DOM. A broken image has naturalWidth 0.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from pagecheck import assert_not_blank, decode_png

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
)
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium not installed (Debian: apt-get install -y chromium; .ci/run does it)",
    ),
    pytest.mark.slow,  # trained_runs trains two models (about 10 s), then a browser starts twice
]

PROBE = """<script>
window.addEventListener('load', function () {
  for (const im of document.images) { im.setAttribute('data-natural-width', im.naturalWidth); }
  document.body.setAttribute('data-probed', document.images.length);
});
</script></body>"""


def _chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=90)


def test_report_renders_in_chromium_with_no_broken_image(trained_runs, tmp_path):
    report = trained_runs["lenet5"] / "report.html"
    html = report.read_text(encoding="utf-8")
    probed = tmp_path / "probed.html"
    probed.write_text(html.replace("</body>", PROBE), encoding="utf-8")
    done = _chromium(tmp_path, "--dump-dom", probed.as_uri())
    dom = done.stdout
    assert done.returncode == 0 and "data-probed" in dom, done.stderr[-2000:]
    widths = [int(w) for w in re.findall(r'data-natural-width="(\d+)"', dom)]
    assert len(widths) == html.count("<img ") >= 4
    assert all(w > 0 for w in widths), f"broken images: {widths}"
    for ident in ("curves", "confusion"):
        assert f'<section id="{ident}">' in dom
        assert re.search(rf'<img id="{ident}-img"[^>]*data-natural-width="[1-9]', dom), ident
    shot = tmp_path / "shot.png"
    done = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,3000", report.as_uri())
    assert shot.exists(), done.stderr[-2000:]
    image = decode_png(shot)
    assert image.size == (1200, 3000)
    assert_not_blank(image)
