"""Self-contained HTML pages: inline CSS, images as base64 data URIs, no script, no network.

A page written here opens the same from a USB stick, an e-mail attachment or a
machine with no internet: everything it shows is inside the one file.
"""

from __future__ import annotations

import base64
import html
import io

LANGS = ("both", "en", "zh")

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, {cjk}, sans-serif;
       max-width: 1280px; margin: 0 auto; padding: 1em 2em; color: #222; background: #fff; }
h1 { font-size: 1.6em; border-bottom: 2px solid #36c; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; color: #1a4d99; }
section { margin-bottom: 1em; }
table { border-collapse: collapse; margin: .5em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #eef3fb; }
td.l, th.l { text-align: left; }
.side table { display: inline-table; vertical-align: top; margin-right: 1.5em; }
img { max-width: 100%; height: auto; display: block; margin: .5em 0; border: 1px solid #eee; }
.note { color: #777; font-style: italic; }
.big { font-size: 1.3em; font-weight: bold; }
:lang(zh) { font-family: {cjk}, system-ui, sans-serif; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; font-size: .85em; }
""".replace(
    "{cjk}",
    ## a font for Chinese on every system: macOS, Windows, then Linux (Noto / Source Han, WenQuanYi, Droid)
    '"PingFang SC", "Hiragino Sans GB", "Heiti SC", "Microsoft YaHei", "SimHei", "DengXian", '
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback"',
)
HTML_LANG = {"en": "en", "zh": "zh-CN", "both": "en"}  # "both": English, each Chinese part marked zh-CN


def text(lang: str, en: str, zh: str) -> str:
    """A heading or label in the page's language: English, Chinese, or both side by side."""
    if lang == "en":
        return en
    if lang == "zh":
        return zh
    return f"{en} · {zh}"


def esc(value) -> str:
    return html.escape(str(value))


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def img(png: bytes, alt: str, id_: str = "") -> str:
    ident = f' id="{esc(id_)}"' if id_ else ""
    return f'<img{ident} src="{data_uri(png)}" alt="{esc(alt)}">'


def figure_png(draw, *args, **kwargs) -> bytes:
    """The PNG bytes of a plotting function that writes to a path-or-file argument (its first)."""
    buffer = io.BytesIO()
    draw(buffer, *args, **kwargs)
    return buffer.getvalue()


def table(header: list[str], rows: list[list], left: int = 1) -> str:
    """An HTML table; the first ``left`` columns are text (left-aligned), the rest numbers."""

    def cells(values, tag):
        return "".join(
            f"<{tag}{' class=l' if i < left else ''}>{esc(_fmt(v))}</{tag}>" for i, v in enumerate(values)
        )

    body = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    return f"<table><tr>{cells(header, 'th')}</tr>{body}</table>"


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value and abs(value) < 1e-3:
            return f"{value:.2e}"  # a learning rate near the end of its schedule
        return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def page(title: str, sections: list[tuple[str, str, str]], lang: str, intro: str = "") -> str:
    """A whole document; ``sections`` are (id, heading, body HTML)."""
    parts = [
        "<!doctype html>",
        f'<html lang="{HTML_LANG.get(lang, "en")}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_marked(title, lang)}</h1>",
        intro,
    ]
    for ident, heading, body in sections:
        parts.append(f'<section id="{esc(ident)}"><h2>{_marked(heading, lang)}</h2>{body}</section>')
    parts.append("</body></html>")
    return "\n".join(parts)


def _marked(heading: str, lang: str) -> str:
    """An escaped heading; in a two-language page its Chinese half is marked ``lang="zh-CN"``."""
    en, sep, zh = heading.partition(" · ")
    if lang != "both" or not sep:
        return esc(heading)
    return f'{esc(en)} · <span lang="zh-CN">{esc(zh)}</span>'
