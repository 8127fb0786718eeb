"""Every number means what its label says (issue 11): each test here fails on the behaviour before it."""
import numpy as np


def test_keras_resize_is_nearest_neighbour():
    from PIL import Image

    from tlbench.models.preprocessing import Preprocessing

    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (37, 53, 3), dtype=np.uint8))
    pre = Preprocessing(16, "keras", (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), "w")
    expected = np.asarray(image.resize((16, 16), Image.NEAREST), dtype=np.float32).transpose(2, 0, 1) / 255
    np.testing.assert_allclose(pre(image).numpy(), expected, atol=1e-6)
    assert "nearest" in pre.describe()
    assert "bilinear" in Preprocessing(16, "squash", (0.0,) * 3, (1.0,) * 3, "w").describe()
