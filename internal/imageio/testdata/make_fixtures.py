"""Writes the two fixtures Go cannot encode itself: a CMYK JPEG and WebP files.

Run with Debian's python (PIL 9 with libwebp): /usr/bin/python3 make_fixtures.py
The picture is a 16x16 image in four 8x8 quadrants
(red, green / blue, white), the WebP one with a half-transparent black lower-right
quadrant. imageio's tests check the decoded colors.
"""
from PIL import Image

QUADS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]


def quads(mode, conv):
    img = Image.new(mode, (16, 16))
    for q, rgb in enumerate(QUADS):
        x0, y0 = 8 * (q % 2), 8 * (q // 2)
        for y in range(y0, y0 + 8):
            for x in range(x0, x0 + 8):
                img.putpixel((x, y), conv(q, rgb))
    return img


# Naive CMYK (K = 0): C = 255 - R and so on; PIL writes an Adobe APP14 marker.
quads("CMYK", lambda q, c: (255 - c[0], 255 - c[1], 255 - c[2], 0)).save(
    "cmyk.jpg", quality=95)
quads("RGB", lambda q, c: c).save("lossless.webp", lossless=True)
quads("RGBA", lambda q, c: (0, 0, 0, 128) if q == 3 else c + (255,)).save(
    "alpha.webp", lossless=True)
quads("RGB", lambda q, c: c).save("lossy.webp", quality=90)
