"""Pillow reference for the photo bench: decode a 2560x1438 JPEG and scale it to 1920x1080
with Lanczos, like `cargo bench -p tickframe-scenes --bench transitions -- photo`.

Run by hand: pip install pillow numpy && python3 benches/pillow_resize.py
"""
import io
import statistics
import time

import numpy as np
from PIL import Image

W, H = 2560, 1438
x = np.arange(W, dtype=np.uint32)[None, :]
y = np.arange(H, dtype=np.uint32)[:, None]
t = ((x * 7 + y * 13) % 23).astype(np.uint8)
img = np.zeros((H, W, 3), np.uint8)
img[..., 0] = (x * 255 // W).astype(np.uint8) ^ t
img[..., 1] = np.broadcast_to((y * 255 // H).astype(np.uint8), (H, W))
img[..., 2] = ((x + y) // 16).astype(np.uint8)
buf = io.BytesIO()
Image.fromarray(img).save(buf, "JPEG", quality=90)
data = buf.getvalue()


def run(scale):
    t0 = time.perf_counter()
    im = Image.open(io.BytesIO(data))
    im.load()
    if scale:
        im = im.resize((1920, 1080), Image.LANCZOS)
    return time.perf_counter() - t0


for label, scale in (("decode", False), ("decode+lanczos", True)):
    times = [run(scale) for _ in range(30)]
    print(f"{label}: median {statistics.median(times) * 1000:.1f} ms")
