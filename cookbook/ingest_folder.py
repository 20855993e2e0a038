"""The ingest command on a generated folder: describe every image, kill-safe, then load the results back.

Runs offline against the embedded emulator: ``python cookbook/ingest_folder.py``. The same as the shell command
``azure-multimodal ingest PHOTOS --task describe --out photos.jsonl``, run twice to show that a rerun skips what is
done.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _media import bar_chart_png

from langchain_azure_multimodal.cli import main as azure_multimodal
from langchain_azure_multimodal.ingest import load_results


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    photos = folder / "photos"
    photos.mkdir()
    for index in range(6):
        (photos / f"chart{index}.png").write_bytes(bar_chart_png((60 + 40 * index, 200, 120, 300 - 30 * index)))
    out = folder / "photos.jsonl"
    for run in (1, 2):
        code = azure_multimodal(["ingest", str(photos), "--task", "describe", "--out", str(out), "--no-progress"])
        print(f"run {run}: exit code {code}")
    documents = list(load_results(out))
    print(f"{len(documents)} documents loaded back; the first: {documents[0].page_content[:70]}...")
    print(f"metadata keys: {sorted(documents[0].metadata)}")


if __name__ == "__main__":
    main()
