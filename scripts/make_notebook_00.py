"""Write notebooks/00_models.ipynb (the shipped models page). Rerun after editing the cells here."""
import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
cells = [
    md("""# The shipped models

Every page of this book runs on two models shipped in `data/models` as plain tensors
(safetensors, loaded without unpickling any code, each verified by sha256 before use):

- **`cifar10-alexnet`**: an AlexNet-style CNN for 32x32 CIFAR-10, standing in for the AlexNet
  of the AXAI paper. Trained here by `axlib train cifar10-alexnet` with the recipe recorded in
  its card. Target of the companion: at least 78% test accuracy.
- **`imagenet-mobilenetv2`**: MobileNetV2 for ImageNet, converted to float32 from the official
  int8 torchvision weights (batch norm already folded, ReLU instead of ReLU6). It stands in for
  the papers' ImageNet CNNs (ResNet34, ResNet-18), which cannot be downloaded here.

This page re-measures both models on the embedded data and shows MobileNetV2's predictions on
scikit-image's photographs. Neither paper reports these numbers, so they are recorded as
*reference* values, not as claims."""),
    code("""profile = "default"   # smoke | default | paper: smoke uses 16 images per data set
seed = 0              # global seed (nothing here is random; kept for a uniform interface)
device = "cpu"        # "cpu" or "cuda\"""", metadata={"tags": ["parameters"]}),
    code("""import pandas as pd
import axlib
from axlib.data.cifar import cifar10_test
from axlib.data.imagenet import IMAGENET_CLASSES, imagenet_samples
from axlib.data.natural import natural_images
from axlib.models.predict import top_k
from axlib.models.train import accuracy
from axlib import plots

cfg = axlib.profile(profile, seed=seed, device=device)
plots.use_style()
n_cifar = None if cfg.name != "smoke" else 16      # None: all 2,000 embedded images
n_imagenet = None if cfg.name != "smoke" else 16   # None: all 250 embedded images"""),
    md("## Model cards\nThe recipe, the accuracies measured when the checkpoint was made, and its sha256."),
    code("""cards = {name: axlib.models.card(name) for name in ("cifar10-alexnet", "imagenet-mobilenetv2")}
alex, mobile = cards["cifar10-alexnet"], cards["imagenet-mobilenetv2"]
pd.DataFrame({
    "cifar10-alexnet": {"parameters": alex["parameters"], "test accuracy (10,000 images)": alex["test_accuracy"],
                        "embedded subset accuracy": alex["embedded_subset_accuracy"],
                        "training wall time (s)": alex["train_wall_seconds"], "sha256": alex["sha256"][:16] + "..."},
    "imagenet-mobilenetv2": {"parameters": mobile["parameters"],
                             "top-1 on the 1,000 sample images": mobile["top1_sample_images_1000"],
                             "top-1 on the 250 embedded": mobile["top1_embedded_250"],
                             "agreement with the int8 model": mobile["int8_top1_agreement"],
                             "sha256": mobile["sha256"][:16] + "..."},
})"""),
    code("""pd.Series(alex["recipe"], name="cifar10-alexnet recipe").to_frame()"""),
    md("""## Accuracy, re-measured on the embedded data
CIFAR-10 pixels here come from a JPEG re-encoding of the official data set (see `data/README.md`),
so they differ slightly from the official tarball; the ImageNet sample images are one image per
class and easier than the validation set (the int8 model's validation top-1 is about 71%)."""),
    code("""x_c, y_c, cifar_classes = cifar10_test(n_cifar)
x_i, y_i, _ = imagenet_samples(n_imagenet)
alexnet = axlib.models.load("cifar10-alexnet", device=cfg.device)
mobilenet = axlib.models.load("imagenet-mobilenetv2", device=cfg.device)
acc_cifar = accuracy(alexnet, x_c.to(cfg.device), y_c.to(cfg.device))
acc_imagenet = accuracy(mobilenet, x_i.to(cfg.device), y_i.to(cfg.device), batch_size=25)
axlib.results.record("models.cifar10_alexnet.accuracy", ours=acc_cifar, paper=None, verdict="reference",
                     note=f"{len(y_c)} embedded CIFAR-10 test images; the card's 10,000-image figure is {alex['test_accuracy']}",
                     profile=cfg.name, device=cfg.device, unit="accuracy")
axlib.results.record("models.mobilenetv2.top1", ours=acc_imagenet, paper=None, verdict="reference",
                     note=f"{len(y_i)} embedded ImageNet sample images (resize 256, centre crop 224)",
                     profile=cfg.name, device=cfg.device, unit="top-1")
pd.DataFrame({"images": [len(y_c), len(y_i)], "accuracy": [acc_cifar, acc_imagenet]},
             index=["cifar10-alexnet on embedded CIFAR-10", "imagenet-mobilenetv2 on embedded samples"])"""),
    md("""## MobileNetV2 on scikit-image's photographs
The photographs used throughout notebook 01 (resize 256, centre crop 224). A cat and a cup of
coffee are ImageNet classes; an astronaut and a rocket on its launch pad are not, and the model
says so with low confidence."""),
    code("""photos, photo_names = natural_images(("chelsea", "coffee", "rocket", "astronaut"), size=224)
predictions = top_k(mobilenet, photos.to(cfg.device), IMAGENET_CLASSES, k=5, names=photo_names)
best = predictions[predictions["rank"] == 1]
plots.show_images(photos, [f"{row.image}: {row['class']} ({row.probability:.2f})" for _, row in best.iterrows()])"""),
    code("""predictions.pivot(index="rank", columns="image", values="class")"""),
    md("""## Exercises
1. Retrain the CIFAR-10 model for 5 epochs (`axlib train cifar10-alexnet --epochs 5 --out /tmp/m`)
   and predict its accuracy before looking.
2. Which of the four photographs would you expect to change its top-1 class under a small
   adversarial perturbation first, and why?

<details><summary>Solution</summary>

1. With the one-cycle schedule compressed into 5 epochs the model reaches roughly 75-80%:
   most of the accuracy comes early, the last epochs at a small learning rate add the rest.
2. The ones predicted with low confidence (rocket, astronaut): their margin between the top two
   classes is small, so a smaller perturbation crosses the decision boundary. Notebook 02 attacks
   such images.
</details>"""),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "axlib", "display_name": "axlib (Python 3.11)", "language": "python"}})
nbf.write(nb, "notebooks/00_models.ipynb")
