"""Pictures the demo draws itself (no downloads): a simple portrait or object per notice."""
import io
import random

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 480, 600


def portrait(rng: random.Random, label: str) -> bytes:
    """A head-and-shoulders silhouette on a soft background."""
    image = Image.new("RGB", (WIDTH, HEIGHT), _soft_colour(rng))
    draw = ImageDraw.Draw(image)
    skin = rng.choice([(241, 204, 170), (224, 172, 129), (198, 144, 104)])
    clothes = _strong_colour(rng)
    draw.ellipse((90, 380, 390, 700), fill=clothes)  # shoulders
    draw.rectangle((205, 300, 275, 400), fill=skin)  # neck
    draw.ellipse((150, 120, 330, 330), fill=skin)  # head
    hair = rng.choice([(30, 25, 20), (70, 50, 30), (120, 110, 100)])
    draw.chord((145, 105, 335, 300), 180, 360, fill=hair)
    for eye_x in (205, 275):
        draw.ellipse((eye_x - 8, 215, eye_x + 8, 231), fill=(40, 30, 30))
    draw.arc((210, 250, 270, 290), 20, 160, fill=(150, 60, 60), width=4)
    _caption(draw, label)
    return _jpeg(image)


def thing(rng: random.Random, label: str) -> bytes:
    """An object (bag, vehicle, box) as a few shapes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), _soft_colour(rng))
    draw = ImageDraw.Draw(image)
    colour = _strong_colour(rng)
    shape = rng.choice(["car", "bag", "box"])
    if shape == "car":
        draw.rounded_rectangle((60, 300, 420, 420), 30, fill=colour)
        draw.rounded_rectangle((130, 220, 350, 310), 30, fill=colour)
        for wheel_x in (140, 340):
            draw.ellipse((wheel_x - 40, 380, wheel_x + 40, 460), fill=(30, 30, 30))
    elif shape == "bag":
        draw.rounded_rectangle((110, 250, 370, 480), 25, fill=colour)
        draw.arc((170, 160, 310, 320), 180, 360, fill=(60, 40, 30), width=14)
    else:
        draw.polygon([(120, 260), (300, 220), (380, 280), (200, 320)], fill=colour)
        draw.polygon([(120, 260), (200, 320), (200, 480), (120, 420)], fill=_darker(colour))
        draw.polygon([(200, 320), (380, 280), (380, 440), (200, 480)], fill=_darker(_darker(colour)))
    _caption(draw, label)
    return _jpeg(image)


def _caption(draw, label):
    draw.rectangle((0, HEIGHT - 60, WIDTH, HEIGHT), fill=(255, 255, 255))
    draw.text((16, HEIGHT - 42), f"DEMO {label}", fill=(20, 20, 20))


def _soft_colour(rng):
    return tuple(rng.randint(200, 240) for _ in range(3))


def _strong_colour(rng):
    return tuple(rng.randint(40, 180) for _ in range(3))


def _darker(colour):
    return tuple(int(c * 0.75) for c in colour)


def _jpeg(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
