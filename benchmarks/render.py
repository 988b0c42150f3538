"""PNG render time of CodeQR against qrcode's own plain black-and-white PNG.

Times, in one process, for the same encoded text (a short link):

  (a) ``qrcode.make(text).save(BytesIO())`` — qrcode's defaults (level M, 10 px
      modules, 4-module border: a few hundred pixels square, 1 bit per pixel);
  (b) CodeQR's PNG renderer, a coloured 1024 px design, via ``Images.render``;
  (c) the same design with the logo overlay (level H, as the app picks for showLogo).

(b) and (c) clear the module-matrix cache (``rendering.encode``) before each render, so
they encode the text like (a) does; the "cached" line shows a render whose matrix is
already cached. The cases run interleaved, so a busy machine slows all of them alike;
each figure is the median of ``--repeat`` renders.

    /tmp/venv/bin/python benchmarks/render.py [--repeat 200]
"""

import argparse
import io
import os
import statistics
import tempfile
import time

import qrcode

from codeqr import create_app, rendering

DESIGN = {
    "domain": "localhost:5000",
    "key": "Xq7LmP2aRt9v-qr",  # the shape of a random key: 12 alphanumerics + "-qr"
    "bg_color": "#fef3c7",
    "fg_color": "#1d4ed8",
    "size": 1024,
    "level": "M",
    "margin": 4,
    "show_logo": False,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="codeqr-render-")
    os.environ.setdefault("CODEQR_INSTANCE_PATH", instance)
    app = create_app({"INSTANCE_PATH": instance, "CODEQR_AUTO_MIGRATE": False})
    images = app.extensions["codeqr"].images
    text = rendering.short_link(app.config, DESIGN["domain"], DESIGN["key"])
    logo = DESIGN | {"show_logo": True, "level": "H"}

    plain = qrcode.make(text)
    modules = plain.width + 2 * plain.border  # quiet zone included
    fair_box = round(DESIGN["size"] / modules)

    def cold(design):
        rendering.encode.cache_clear()
        images.render(design, "png")

    cases = {
        "(a) qrcode.make, default size": lambda: qrcode.make(text).save(io.BytesIO()),
        f"(a') qrcode.make, box_size={fair_box}": lambda: qrcode.make(text, box_size=fair_box).save(io.BytesIO()),
        "(b) CodeQR PNG, coloured 1024 px": lambda: cold(DESIGN),
        "(b') same, matrix cached": lambda: images.render(DESIGN, "png"),
        "(c) CodeQR PNG, coloured 1024 px + logo": lambda: cold(logo),
    }
    times = {name: [] for name in cases}
    for name, case in cases.items():  # warm-up: imports, logo scaling cache
        case()
    for _ in range(args.repeat):
        for name, case in cases.items():
            start = time.perf_counter()
            case()
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}

    print(f"text {text!r}: {modules} modules with the quiet zone; {args.repeat} renders each")
    print(f"qrcode.make default image: {plain.pixel_size} px square, mode {plain.get_image().mode!r}; "
          f"with box_size={fair_box}: {modules * fair_box} px; CodeQR: {DESIGN['size']} px")
    for name, value in median.items():
        print(f"  {name:42s} median {value:7.2f} ms")
    a, b, c = (median[name] for name in cases if name[:3] in ("(a)", "(b)", "(c)"))
    a_fair = median[f"(a') qrcode.make, box_size={fair_box}"]
    print(f"(b)/(a)  = {b / a:5.2f}   target <= 1.2  {'met' if b / a <= 1.2 else 'NOT met'}")
    print(f"(c)/(a)  = {c / a:5.2f}   target <= 2    {'met' if c / a <= 2 else 'NOT met'}")
    print(f"(c)/(b)  = {c / b:5.2f}")
    print(f"(b)/(a') = {b / a_fair:5.2f}   (same pixel size as CodeQR's)")


if __name__ == "__main__":
    main()
