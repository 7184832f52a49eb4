"""scripts/gpu_check.py runs its whole code path on a CPU at tiny sizes and writes its JSON."""
from __future__ import annotations

import importlib.util
import json

from axlib._util.paths import REPO_ROOT


def test_gpu_check_smoke_on_cpu(tmp_path):
    spec = importlib.util.spec_from_file_location("gpu_check", REPO_ROOT / "scripts" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "gpu_check.json"
    summary = module.main(["--device", "cpu", "--images", "1", "--size", "64", "--batch", "2",
                           "--lime-samples", "10", "--shap-samples", "2", "--out", str(out)])
    written = json.loads(out.read_text())
    assert written["image_size"] == [3, 64, 64] and set(written["ms_per_image_batch1"]) == {"axai", "lime", "shap"}
    assert set(written["axai_images_per_s"]) == {"2"} and written["ratios"] == summary["ratios"]
