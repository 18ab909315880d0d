"""Screenshots for looking at the pages: written only when WORKBENCH_SHOTS names a folder."""
import os
from pathlib import Path

SHOTS = os.environ.get("WORKBENCH_SHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))
