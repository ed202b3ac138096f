"""Copy the demo councils' gazetteers from the shared data into the demo, compressed, so
`make run` finds real streets and postcodes without ../shared/data beside the checkout.

    .venv/bin/python scripts/derive_demo_gazetteer.py [SHARED_DATA_DIR]

Writes, byte for byte reproducibly, townsquare/demo/data/gazetteer/{bristol,leeds,
gloucester}.csv.gz (the shared uk_gazetteer CSV files unchanged, gzip level 9 without a file
name or time) and LICENCE.md (the shared licence and attribution notes, unchanged).
"""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "townsquare" / "demo" / "data" / "gazetteer"
COUNCILS = ("bristol", "leeds", "gloucester")


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    source = shared / "uk_gazetteer"
    OUT.mkdir(parents=True, exist_ok=True)
    for slug in COUNCILS:
        data = (source / f"{slug}.csv").read_bytes()
        with (
            (OUT / f"{slug}.csv.gz").open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as packed,
        ):
            packed.write(data)
        print(f"{slug}.csv.gz: {len(data):,} bytes of CSV")
    shutil.copyfile(source / "LICENCE.md", OUT / "LICENCE.md")


if __name__ == "__main__":
    main()
