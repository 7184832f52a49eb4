"""Build data/cifar10/cifar10-test-subset.npz: 200 test images per class (2,000 in all).

Source: the JPEG copy of CIFAR-10 (``$AXLIB_CIFAR10_JPEG_ZIP`` or ../shared/data/cifar10-jpeg.zip).
Selection: per class, the first 200 test files in sorted file-name order (deterministic).
Stored: x uint8 (2000, 32, 32, 3) decoded pixels, y int64 (2000,), names (2000,) source paths.
"""
import io
import zipfile

import numpy as np
from PIL import Image

from axlib._util.paths import repo_data_dir
from axlib.data.cifar import CIFAR10_CLASSES, _jpeg_zip_path

PER_CLASS = 200


def main():
    zip_path = _jpeg_zip_path()
    images, labels, names = [], [], []
    with zipfile.ZipFile(zip_path) as archive:
        all_names = archive.namelist()
        for label, cls in enumerate(CIFAR10_CLASSES):
            members = sorted(n for n in all_names if n.startswith(f"test/{cls}/") and n.endswith(".jpg"))
            for name in members[:PER_CLASS]:
                with Image.open(io.BytesIO(archive.read(name))) as image:
                    images.append(np.asarray(image.convert("RGB"), dtype=np.uint8))
                labels.append(label)
                names.append(name)
    out = repo_data_dir() / "cifar10" / "cifar10-test-subset.npz"
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, x=np.stack(images), y=np.asarray(labels, dtype=np.int64),
                        names=np.asarray(names))
    print(f"wrote {out} ({len(labels)} images)")


if __name__ == "__main__":
    main()
