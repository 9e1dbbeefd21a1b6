"""The timeline PNG has a solid page that reads on light and dark notebook themes."""

import io

import numpy as np
import pytest

import lambda_magic as lm


@pytest.fixture(autouse=True)
def clean():
    lm.reset()
    yield
    lm.reset()


def _pixels(png: bytes) -> np.ndarray:
    from matplotlib.image import imread

    return imread(io.BytesIO(png), format="png")


def _check_solid_light_page(png: bytes) -> None:
    pixels = _pixels(png)
    assert pixels.shape[2] == 4 and (pixels[..., 3] == 1.0).all()  # opaque everywhere: no theme shows through
    corners = pixels[[0, 0, -1, -1], [0, -1, 0, -1], :3]
    assert (corners == 1.0).all()  # a white page ...
    luminance = pixels[..., :3] @ np.array([0.2126, 0.7152, 0.0722])
    assert (luminance < 0.2).mean() > 0.002  # ... with dark ink on it (labels, ticks, title)


def test_timeline_png_is_opaque_white_with_dark_text():
    lm.register("f", "def lambda_handler(event, context):\n    return 1\n")
    for _ in range(3):
        lm.invoke("f", {})
    _check_solid_light_page(lm.timeline("f")._repr_png_())


def test_timeline_ignores_a_dark_matplotlib_style():
    import matplotlib.pyplot as plt

    lm.register("f", "def lambda_handler(event, context):\n    return 1\n")
    lm.invoke("f", {})
    with plt.style.context("dark_background"):
        timeline = lm.timeline("f")
        png = timeline._repr_png_()
    _check_solid_light_page(png)
    title = timeline.figure.axes[0].title
    assert title.get_color() == "#101828"
