"""Draws the PNG icons from the shield of static/img/icon.svg (no SVG renderer needed, only Pillow):
the favicon fallback, the home-screen icons of the web app manifest, and the default Open Graph image
of notices without a photo. Run `python -m portal.scripts.make_icons` after changing the shield and
commit the PNGs (their URLs change with their content: portal/core/static.py)."""
from pathlib import Path

from PIL import Image, ImageDraw

IMG = Path(__file__).resolve().parents[1] / "static" / "img"
BLUE = (11, 61, 145)
WHITE = (255, 255, 255)
# The icon's outline in its 32x32 viewBox: "M16 2 4 7v8c0 7.5 5.1 13.2 12 15 6.9-1.8 12-7.5 12-15V7z".
CURVES = (((4, 15), (4, 22.5), (9.1, 28.2), (16, 30)), ((16, 30), (22.9, 28.2), (28, 22.5), (28, 15)))


def bezier(p0, p1, p2, p3, steps=24):
    for i in range(steps + 1):
        t = i / steps
        yield tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t * t * c + t ** 3 * d
                    for a, b, c, d in zip(p0, p1, p2, p3, strict=True))


def shield(draw, size: float, left: float = 0, top: float = 0):
    scale = size / 32
    outline = [(16, 2), (4, 7)] + [point for curve in CURVES for point in bezier(*curve)] + [(28, 7)]
    draw.polygon([(left + x * scale, top + y * scale) for x, y in outline], fill=BLUE)
    width = round(3 * scale)
    draw.line([(left + 16 * scale, top + 8 * scale), (left + 16 * scale, top + 24 * scale)], fill=WHITE, width=width)
    draw.line([(left + 9 * scale, top + 15 * scale), (left + 23 * scale, top + 15 * scale)], fill=WHITE, width=width)


def icon(size: int, background=None, padding: float = 0) -> Image.Image:
    """Drawn at 4x and scaled down: Pillow's polygons have no anti-aliasing."""
    big = size * 4
    image = Image.new("RGBA", (big, big), background or (0, 0, 0, 0))
    shield(ImageDraw.Draw(image), big * (1 - 2 * padding), big * padding, big * padding)
    return image.resize((size, size), Image.LANCZOS)


def open_graph_image() -> Image.Image:
    """1200x630 (the size link previews ask for): the shield on white with a blue band, no words, so
    one image serves every language."""
    width, height = 1200, 630
    image = Image.new("RGB", (width * 2, height * 2), WHITE)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, height * 2 - 60, width * 2, height * 2], fill=BLUE)
    shield(draw, 760, (width * 2 - 760) / 2, (height * 2 - 760) / 2 - 30)
    return image.resize((width, height), Image.LANCZOS)


def main():
    icon(32).save(IMG / "icon-32.png", optimize=True)
    icon(180, background=WHITE + (255,), padding=0.1).convert("RGB").save(IMG / "apple-touch-icon.png", optimize=True)
    icon(192, background=WHITE + (255,), padding=0.1).save(IMG / "icon-192.png", optimize=True)
    # "maskable": the launcher may cut the corners off, so the shield keeps to the middle 60 %.
    icon(512, background=WHITE + (255,), padding=0.2).save(IMG / "icon-512.png", optimize=True)
    open_graph_image().save(IMG / "og-default.png", optimize=True)


if __name__ == "__main__":
    main()
