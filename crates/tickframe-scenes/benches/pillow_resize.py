"""Pillow against the slideshow's photo path, on the same file, the same output size and the
same filter: decode target/bench-assets/photo-2560x1438.jpg and scale its centred
2556.4x1438 crop (the display's aspect) to exactly 1920x1080 with Lanczos-3.

One command (from the repository root; `pip install pillow numpy` first):

    python3 crates/tickframe-scenes/benches/pillow_resize.py

It runs `cargo bench -p tickframe-scenes --bench transitions` on the two Rust cases
(photo-2560x1438-jpeg-to-1080p/decode+scale-lanczos3-fill with fresh buffers, and
…-fill-reused with one scratch kept between photos as the slideshow's workers do; the bench
writes the JPEG when it is missing), then times Pillow 30 times on the same file, and prints
the medians and the ratios. `--no-cargo` reuses the last criterion result. Both sides run on one core: Pillow's
decoder and resize are single-threaded, and so are zune-jpeg and fast_image_resize here.
"""
import glob
import json
import os
import statistics
import subprocess
import sys
import time

from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ASSET = os.path.join(ROOT, "target", "bench-assets", "photo-2560x1438.jpg")
GROUP = "photo-2560x1438-jpeg-to-1080p"
CASE = "decode+scale-lanczos3-fill"
# The same with one scratch kept from photo to photo, as each slideshow worker prepares photos.
CASE_REUSED = "decode+scale-lanczos3-fill-reused"
W, H = 1920, 1080


def cover_crop(iw, ih, w, h):
    """The slideshow's `cover_crop`: (left, top, right, bottom) of the centred crop."""
    if iw * h > ih * w:
        cw = ih * w / h
        return ((iw - cw) / 2, 0.0, (iw - cw) / 2 + cw, ih)
    ch = iw * h / w
    return (0.0, (ih - ch) / 2, iw, (ih - ch) / 2 + ch)


def pillow_once(data):
    t0 = time.perf_counter()
    im = Image.open(__import__("io").BytesIO(data))
    im.load()
    out = im.resize((W, H), Image.LANCZOS, box=cover_crop(im.width, im.height, W, H))
    assert out.size == (W, H)
    return time.perf_counter() - t0


def main():
    if "--no-cargo" not in sys.argv:
        subprocess.run(
            ["cargo", "bench", "-p", "tickframe-scenes", "--bench", "transitions", "--",
             f"{GROUP}/{CASE.replace('+', '.')}(-reused)?$"],
            cwd=ROOT, check=True)
    with open(ASSET, "rb") as f:
        data = f.read()
    pillow = statistics.median(pillow_once(data) for _ in range(30)) * 1000
    print(f"file: {ASSET} ({len(data)} bytes), out {W}x{H}, Lanczos-3")
    print(f"Pillow {Image.__version__}: median {pillow:.1f} ms")
    for case, label in [(CASE, "prepare_photo_bytes (fresh buffers)"),
                        (CASE_REUSED, "prepare_photo_bytes_with (reused scratch)")]:
        found = glob.glob(os.path.join(ROOT, "target", "criterion", GROUP,
                                       case, "new", "estimates.json"))
        if not found:
            sys.exit(f"no criterion result for {GROUP}/{case}: run without --no-cargo")
        with open(found[0]) as f:
            rust = json.load(f)["median"]["point_estimate"] / 1e6
        print(f"tickframe {label}: median {rust:.1f} ms, ratio (Pillow / tickframe) {pillow / rust:.2f}x")


if __name__ == "__main__":
    main()
