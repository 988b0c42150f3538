"""PNG render time of CodeQR against qrcode's own plain black-and-white PNG.

Times, in one process, for the same encoded text (a short link):

  (a) ``qrcode.make(text).save(BytesIO())`` — qrcode's defaults (level M, 10 px
      modules, 4-module border: a few hundred pixels square, 1 bit per pixel);
  (b) CodeQR's PNG renderer, a coloured 1024 px design, via ``Images.render``;
  (c) the same design with the logo overlay (level H, as the app picks for showLogo);
  (d) when the codeqr-styled example plugin is installed, its ``styled-png`` renderer
      (rounded modules and eyes, its defaults) on the design of (b).

(b) and (c) clear the module-matrix cache (``rendering.encode``) before each render, so
they encode the text like (a) does. For a fair comparison of pixels, (a') is qrcode.make
with a box size giving about CodeQR's 1024 px, and (b') is (b) with the matrix already
cached (the cost of a second format of the same design). The cases run interleaved, so
a busy machine slows all of them alike; each figure is the median of ``--repeat`` renders.

Then, per design (``--design-repeat`` renders each, interleaved with (a) again): the PNG of
each ``pattern``, each ``eyeShape``, each ``shape``, each ``frame`` (each drawn by whatever
patterns.py and frames.py draw on the commit measured), a linear and a radial gradient and
the instance logo through the geometry, all coloured and 1024 px, as ratios to (a); and the
scan check a save pays (``design.verify``: a render and a decode at the design's size, a
render and a decode with the code 2 cm wide) at 256, 1024 and 4096 px, plain and styled.

    .venv/bin/python benchmarks/render.py [--repeat 200] [--design-repeat 20]
    .venv/bin/python benchmarks/render.py --quick   # a smoke run, 3 renders each: no results
"""

import argparse
import io
import os
import shutil
import statistics
import tempfile
import time
from typing import get_args

import qrcode

import smoke
from codeqr import create_app
from codeqr.design import values, verify
from codeqr.domain import rendering
from codeqr.domain.schemas import Design

DOMAIN, KEY = "localhost:5000", "Xq7LmP2aRt9v-qr"  # the shape of a random key: 12 alphanumerics + "-qr"
DESIGN = Design(bg_color="#fef3c7", fg_color="#1d4ed8", size=1024, level="M", margin=4, show_logo=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--design-repeat", type=int, default=20, help="renders of each design and scan check")
    smoke.add_option(parser)
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.design_repeat = 3, 1
    smoke.announce(args.quick)

    instance = tempfile.mkdtemp(prefix="codeqr-render-")
    os.environ["CODEQR_INSTANCE_PATH"] = instance  # no database is touched
    app = create_app({"CODEQR_AUTO_MIGRATE": False})
    images = app.extensions["codeqr"].images
    text = rendering.short_link(app.config, DOMAIN, KEY)
    coloured = rendering.Picture(text, DESIGN)
    logo = rendering.Picture(text, DESIGN.model_copy(update={"show_logo": True, "level": "H"}))

    plain = qrcode.make(text)
    modules = plain.width + 2 * plain.border  # quiet zone included
    fair_box = round(DESIGN.size / modules)

    def cold(picture, fmt="png"):
        rendering.encode.cache_clear()
        images.render(picture, fmt)

    cases = {  # name: (label, function)
        "a": ("qrcode.make, default size", lambda: qrcode.make(text).save(io.BytesIO())),
        "a'": (f"qrcode.make, box_size={fair_box}", lambda: qrcode.make(text, box_size=fair_box).save(io.BytesIO())),
        "b": ("CodeQR PNG, coloured 1024 px", lambda: cold(coloured)),
        "b'": ("same, matrix cached", lambda: images.render(coloured, "png")),
        "c": ("CodeQR PNG, coloured 1024 px + logo (level H)", lambda: cold(logo)),
    }
    if "styled-png" in images.renderers:
        cases["d"] = ("codeqr-styled PNG, rounded, coloured 1024 px", lambda: cold(coloured, "styled-png"))
    ms = medians(cases, args.repeat)
    designs = design_cases(images, text)
    design_ms = medians({"a": cases["a"]} | designs, args.design_repeat)
    shutil.rmtree(instance, ignore_errors=True)

    print(f"text {text!r}: {modules} modules with the quiet zone at level M; {args.repeat} renders each")
    print(f"qrcode.make default image: {plain.pixel_size} px square, mode {plain.get_image().mode!r}; "
          f"with box_size={fair_box}: {modules * fair_box} px; CodeQR: {DESIGN.size} px")
    for name, (label, _) in cases.items():
        print(f"  ({name:2s}) {label:46s} median {ms[name]:7.2f} ms")
    print(f"(b)/(a)  = {ms['b'] / ms['a']:5.2f}   target <= 1.2  {'met' if ms['b'] / ms['a'] <= 1.2 else 'NOT met'}")
    print(f"(c)/(a)  = {ms['c'] / ms['a']:5.2f}   target <= 2    {'met' if ms['c'] / ms['a'] <= 2 else 'NOT met'}")
    print(f"(c)/(b)  = {ms['c'] / ms['b']:5.2f}")
    if "d" in ms:
        print(f"(d)/(b)  = {ms['d'] / ms['b']:5.2f}   (the styled example against the built-in PNG)")
    fair = ms["a'"]
    print(f"(b)/(a') = {ms['b'] / fair:5.2f}   (qrcode at about CodeQR's pixel size)")
    reference = design_ms["a"]
    print(f"\nper design, {args.design_repeat} renders each, interleaved with (a) = {reference:.2f} ms this time:")
    for name, (label, _) in designs.items():
        print(f"  {label:58s} median {design_ms[name]:8.2f} ms   / (a) = {design_ms[name] / reference:7.2f}")


def medians(cases: dict, repeat: int) -> dict[str, float]:
    """The median time of each case in ms, the cases run in turn ``repeat`` times after a
    warm-up (imports, the logo's scaling cache), so a busy machine slows all alike."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _, case in cases.values():
        case()
    for _ in range(repeat):
        for name, (_, case) in cases.items():
            start = time.perf_counter()
            case()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def design_cases(images, text: str) -> dict:
    """Each design's PNG render (cold matrix), and the scan check at three sizes."""
    def render(design):
        picture = rendering.Picture(text, design)

        def run():
            rendering.encode.cache_clear()
            images.render(picture, "png")
        return run

    def check(design):
        picture = rendering.Picture(text, design)

        def run():
            rendering.encode.cache_clear()
            problem = verify.verify(images.spec(picture), images.renderers["png"])
            assert problem is None, problem.sentence  # the cost of a design that passes: both decodes
        return run

    variants = {f"pattern {name}": {"pattern": name} for name in get_args(values.Pattern)}
    variants |= {f"eyeShape {name}": {"eye_shape": name} for name in get_args(values.EyeShape)}
    variants |= {f"shape {name}": {"shape": name} for name in get_args(values.Shape)}
    variants |= {f"frame {name}": {"frame": name, "frame_text": "SCAN ME"} for name in get_args(values.Frame)}
    variants |= {"fgGradient linear": {"fg_gradient": {"colors": ["#1d4ed8", "#7c3aed"], "rotation": 45}},
                 "fgGradient radial": {"fg_gradient": {"type": "radial", "colors": ["#1d4ed8", "#7c3aed"]}},
                 "logo (instance overlay, eyeColor set: the geometry)": {"show_logo": True, "level": "H",
                                                                         "eye_color": "#1d4ed8"}}
    cases = {f"render {label}": (f"PNG {label}", render(_variant(change))) for label, change in variants.items()}
    styled = {"pattern": "rounded", "eye_shape": "rounded", "fg_gradient": variants["fgGradient linear"]["fg_gradient"]}
    for size in (256, 1024, 4096):
        cases[f"check plain {size}"] = (f"scan check, plain, {size} px", check(_variant({"size": size})))
        cases[f"check styled {size}"] = (f"scan check, rounded + gradient, {size} px",
                                         check(_variant({"size": size} | styled)))
    return cases


def _variant(change: dict) -> Design:
    """DESIGN with ``change`` (validated: nested values such as a gradient given as dicts)."""
    return Design(**(DESIGN.model_dump() | change))


if __name__ == "__main__":
    main()
