"""Peak memory of the media bombs (issue 16): a file that claims far more than it costs, old path against new.

Usage::

    python bench/media_memory.py                 # = --repeats 3
    python bench/media_memory.py --repeats 5 --json /tmp/media_memory.json

The inputs are made into a temporary directory on every run (nothing is committed, and none costs disk or memory to
make: the WAV is sparse, the PNG is compressed row by row, the JPEG is encoded in its own process):

- ``wav``: a valid 16 kHz mono 16-bit WAV of 2 GiB (18.6 hours), sparse. Old: the file's bytes read whole, then
  ``split_audio_bytes(data, max_seconds=300)`` (what ``split_audio(path)`` did before issue 16). New:
  ``split_audio(path, max_seconds=300)``, which reads the file a part at a time. Every part is made and dropped.
- ``png``: a 0.02 MB 1-bit PNG claiming 13000x13000 pixels. Old: what ``image_part`` did, ``Image.open`` and
  ``load()`` (Pillow only warns at this size). New: ``image_part(path)``, refused from the header
  (``MediaValidationError``: over ``profiles.MAX_DECODED_PIXELS``).
- ``jpeg``: a 9000x9000 RGB JPEG (81 MP, 243 MB as pixels). Old: a full-scale ``Image.open`` + ``load()`` (the
  baseline any decoder without draft mode pays; ``image_part`` already drafted JPEGs at 1/8 before issue 16). New:
  ``image_part(path)``, decoded at 1/8 scale within the budget.

Each measurement runs in a fresh interpreter, which imports the package and warms up on a small image and clip,
then reports ``ru_maxrss`` after the work minus ``ru_maxrss`` before it (peak RSS growth). Old and new alternate,
``--repeats`` times each; the table has the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the bombs and the measurement are the memory tests' own (tests/support/bombs.py)

from tests.support.bombs import blank_png, make_in_child, measured_in_child, sparse_wav  # noqa: E402

WORK = {
    ("wav", "old"): """
        with open(path, "rb") as file:
            data = file.read()
        for part in _audio.split_audio_bytes(data, max_seconds=300):
            del part
    """,
    ("wav", "new"): """
        for block in split_audio(path, max_seconds=300):
            del block
    """,
    ("png", "old"): """
        with Image.open(path) as image:
            image.load()
    """,
    ("png", "new"): """
        try:
            image_part(path)
        except MediaValidationError:
            pass
    """,
    ("jpeg", "old"): """
        with Image.open(path) as image:
            image.load()
    """,
    ("jpeg", "new"): """
        image_part(path)
    """,
}


def make_inputs(folder: Path) -> dict[str, Path]:
    wav = sparse_wav(folder / "day.wav")
    png = folder / "bomb.png"
    png.write_bytes(blank_png(13000, 13000))
    code = "import sys; from PIL import Image; Image.new('RGB', (9000, 9000), 'teal').save(sys.argv[1], 'JPEG')"
    jpeg = make_in_child(code, folder / "huge.jpg")
    return {"wav": wav, "png": png, "jpeg": jpeg}


def measure(case: str, path: Path, contender: str) -> tuple[float, float]:
    """(peak RSS growth in MB, wall seconds) of one run in a fresh interpreter; the old image path warns
    (DecompressionBombWarning), and the figure is the point, so warnings are ignored."""
    return measured_in_child(WORK[case, contender], path, warnings="ignore")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    results: dict[str, dict[str, list[tuple[float, float]]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        inputs = make_inputs(Path(folder))
        sizes = {case: path.stat().st_size for case, path in inputs.items()}
        for _ in range(args.repeats):
            for case, path in inputs.items():
                for contender in ("old", "new"):
                    results.setdefault(case, {}).setdefault(contender, []).append(measure(case, path, contender))
    print(f"peak RSS growth, median of {args.repeats} (MB); wall time in parentheses (s, includes the interpreter)")
    print("| case | file | old | new |")
    print("|---|---:|---:|---:|")
    for case, runs in results.items():
        cells = []
        for contender in ("old", "new"):
            grown = statistics.median(mb for mb, _ in runs[contender])
            wall = statistics.median(s for _, s in runs[contender])
            cells.append(f"{grown:,.1f} ({wall:.1f} s)")
        print(f"| {case} | {sizes[case] / 1e6:,.2f} MB | {cells[0]} | {cells[1]} |")
    if args.json:
        args.json.write_text(json.dumps({"sizes": sizes, "runs": results}, indent=2))


if __name__ == "__main__":
    main()
