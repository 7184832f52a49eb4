"""Release step: write data/ as axlib-data-<version>.tar.gz and record its sha256 and size in
axlib/data/embedded_archive.json (then attach the archive to the release v<version>).

    python scripts/make_data_archive.py [--out dist/]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from axlib import __version__
from axlib._util.paths import REPO_ROOT
from axlib.data.embedded_archive import RECORD_FILE, archive_name, build

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="dist")
    args = parser.parse_args()
    out = Path(args.out) / archive_name(__version__)
    result = build(REPO_ROOT / "data", out)
    RECORD_FILE.write_text(json.dumps({"version": __version__, "sha256": result["sha256"],
                                       "bytes": result["bytes"]}) + "\n")
    print(f"{out}: {result['files']} files, {result['bytes']:,} bytes, sha256 {result['sha256']}")
