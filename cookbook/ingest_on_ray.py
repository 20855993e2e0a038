"""The ingest work as a Ray Data step: ``process_batch`` over batches of paths, on Ray in local mode.

The per-item work of ``azure-multimodal ingest`` is a plain function over a batch, so it scales out with
``map_batches`` on a Ray cluster the same way it runs here. Needs Ray (``pip install "ray[data]"``); runs offline
against the embedded emulator: ``python cookbook/ingest_on_ray.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import ray
from _media import bar_chart_png

from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.ingest import process_batch


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    for index in range(8):
        (folder / f"chart{index}.png").write_bytes(bar_chart_png((50 + 30 * index, 150, 250, 100)))
    # Local mode on loopback only: no dashboard, and the node's address pinned to 127.0.0.1.
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    try:
        with Emulator(model="gpt-4o", api_key="cookbook-key") as emulator:
            dataset = ray.data.from_items([{"path": str(path)} for path in sorted(folder.iterdir())])
            results = dataset.map_batches(
                process_batch,
                fn_kwargs={
                    "task": "describe",
                    "endpoint": emulator.endpoint,
                    "model": "gpt-4o",
                    "api_key": "cookbook-key",
                },
                batch_size=4,
                batch_format="numpy",
            ).take_all()
    finally:
        ray.shutdown()
    ok = sum(1 for row in results if row["status"] == "ok")
    print(f"ray: {len(results)} images described, {ok} ok")
    print(f"first: {Path(str(results[0]['source'])).name}: {str(results[0]['text'])[:60]}...")


if __name__ == "__main__":
    main()
