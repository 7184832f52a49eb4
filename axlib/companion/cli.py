"""The axlib console script (also ``python -m axlib``).

    axlib run [NOTEBOOK ...] --profile smoke|default|paper [-p NAME VALUE ...] [--out DIR] [--force]
    axlib run --list
    axlib book [--runs DIR] [--out DIR]
    axlib data list | fetch NAME ... | verify
    axlib train MODEL [--epochs N] [--device cpu|cuda] [--batch-size N] [--workers N]
    axlib bench [axai|scaleout] --profile smoke|default|paper [--device cpu|cuda] [--out JSON] [--repeats N]
    axlib explain IMAGE ... [--model NAME] [--methods axai,gradcam,...] [--k 10] [--out DIR] [--device cpu]
    axlib doctor [--profile paper] [--fetch]
    axlib --version

Each subcommand is a thin wrapper: the work lives in axlib.companion.runner, axlib.companion.book,
axlib.data.registry / axlib.data.manifest and axlib.models.
"""
from __future__ import annotations

import argparse
import sys

from axlib import __version__
from axlib.companion.profiles import PROFILE_HELP, PROFILE_NAMES

EXAMPLES = """examples:
  axlib run --list                          the pages, their titles and parameters
  axlib run 01 --profile smoke              one page at tiny sizes (seconds)
  axlib run 05 -p n_images 48               one page with a parameter of its own
  axlib book --runs runs/default            the HTML book from executed pages
  axlib data verify                         check the embedded data against its sha256
  axlib train canvas64-resnet-robust        retrain a model by its recorded recipe
  axlib bench --profile default             time AXAI against LIME and SHAP
  axlib explain photo.jpg skimage:chelsea   explain your own images (figure + JSON each)
  axlib doctor --profile paper              what the papers' scale needs, and what is missing"""


def _profile_help(what: str) -> str:
    return f"{what}; " + "; ".join(f"{name}: {PROFILE_HELP[name]}" for name in PROFILE_NAMES) + " (default: %(default)s)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="axlib", epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The adversarial-XAI companion: run its notebooks, build the book, manage data, "
                    "train and benchmark.")
    parser.add_argument("--version", action="version", version=f"axlib {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute notebooks with papermill")
    run.add_argument("notebooks", nargs="*", help="notebook files, stems or number prefixes such as 04b "
                                                 "(default: all)")
    run.add_argument("--list", action="store_true", help="list the notebooks and their parameters, run nothing")
    run.add_argument("--profile", default="default", choices=PROFILE_NAMES, help=_profile_help("sizes"))
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"), help="notebook parameter, a Python literal (repeatable; "
                                                     "see --list)")
    run.add_argument("--out", default=None, help="output folder (default: runs/<profile>)")
    run.add_argument("--force", action="store_true", help="re-execute even if nothing changed")

    book = sub.add_parser("book", help="build the static HTML book from executed notebooks")
    book.add_argument("--runs", default=None, help="folder of executed notebooks (default: runs/default)")
    book.add_argument("--out", default=None, help="HTML output folder (default: book/_build)")
    book.add_argument("--allow-partial", action="store_true",
                      help="publish pages whose run did not finish, each marked with a warning "
                           "(default: refuse and name them)")

    data = sub.add_parser("data", help="list, download or verify data sets")
    data_sub = data.add_subparsers(dest="action", required=True)
    data_sub.add_parser("list", help="registered data sets and whether they are cached")
    fetch = data_sub.add_parser("fetch", help="download and verify data sets")
    fetch.add_argument("names", nargs="+", help="registered data sets (axlib data list), or embedded: the "
                                               "repository's data/ as one archive, for installs without it")
    data_sub.add_parser("verify", help="check every embedded file in data/ against MANIFEST.json and re-hash "
                                       "the cached downloads")

    train = sub.add_parser("train", help="train a model by its recorded recipe")
    train.add_argument("model")
    train.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    train.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N (default: %(default)s)")
    train.add_argument("--out", default=None, help="output folder (default: data/models)")
    train.add_argument("--batch-size", type=int, default=None,
                       help="override an ImageNet recipe's batch size (a smaller GPU; recorded in the card)")
    train.add_argument("--workers", type=int, default=0,
                       help="processes decoding the ImageNet training images (default: %(default)s)")

    bench = sub.add_parser("bench", help="axai: time AXAI against LIME and SHAP (AXAI Table 5); "
                                         "scaleout: the study's local Dask workers, Dask's environment vs ours")
    bench.add_argument("suite", nargs="?", default="axai", choices=("axai", "scaleout"))
    bench.add_argument("--profile", default="default", choices=PROFILE_NAMES, help=_profile_help("sizes"))
    bench.add_argument("--device", default=None, help="cpu | cuda (default: the profile's)")
    bench.add_argument("--out", default=None, help="JSON path (default: runs/bench/<profile>.json)")
    bench.add_argument("--repeats", type=int, default=None, help="override the profile's repeats")
    bench.add_argument("--threads", type=int, default=None,
                       help="one thread budget instead of the profile's (axai suite; the profile's: 1, then every core; "
                            "0: every core)")

    explain = sub.add_parser("explain", help="AXAI and baselines on your own images: one figure and one JSON each")
    explain.add_argument("images", nargs="+", help="image files, or skimage:NAME (e.g. skimage:chelsea)")
    explain.add_argument("--model", default="imagenet-mobilenetv2",
                         help="a registered image model (default: %(default)s, shipped, offline)")
    explain.add_argument("--methods", default="axai,gradcam,gradient,ig",
                         help="comma-separated: axai and any of gradient, ig, shap, gradcam, cam, rise, lime, mp, ep "
                              "(default: %(default)s)")
    explain.add_argument("--k", type=int, default=10, help="AXAI's explainability length K (default: %(default)s)")
    explain.add_argument("--out", default="explained", help="output folder (default: %(default)s)")
    explain.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N (default: %(default)s)")

    doctor = sub.add_parser("doctor", help="list the models and data a profile needs beyond the repository, "
                                           "with where each is looked for and how to get it; exit 1 if any is missing")
    doctor.add_argument("--profile", default="paper", choices=PROFILE_NAMES, help=_profile_help("profile"))
    doctor.add_argument("--fetch", action="store_true", help="download (verified) whatever can be downloaded first")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("bench", "train", "explain"):        # they compute in this process
        from axlib.companion.environ import apply_malloc_settings
        apply_malloc_settings()
    try:
        if args.command == "run" and args.list:
            from axlib.companion.runner import list_cli
            return list_cli(args)
        if args.command == "run":
            from axlib.companion.runner import run_cli
            return run_cli(args)
        if args.command == "book":
            from axlib.companion.book import book_cli
            return book_cli(args)
        if args.command == "data":
            from axlib.data.registry import data_cli
            return data_cli(args)
        if args.command == "train":
            from axlib.models import train
            train(args.model, epochs=args.epochs, device=args.device, out=args.out, batch_size=args.batch_size,
                  workers=args.workers)
            return 0
        if args.command == "doctor":
            from axlib.companion.doctor import doctor_cli
            return doctor_cli(args)
        if args.command == "explain":
            from axlib.companion.explain_image import explain_cli
            return explain_cli(args)
        if args.command == "bench" and args.suite == "scaleout":
            from axlib.companion.bench_scaleout import bench_cli
            return bench_cli(args)
        if args.command == "bench":
            from axlib.papers.axai.bench import bench_cli
            return bench_cli(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"axlib {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        import logging
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)   # the kernel client's abandoned tasks
        print(f"axlib {args.command}: interrupted (Ctrl-C); finished work is kept"
              + ("; the page that was running is incomplete and `axlib book` refuses it until rerun"
                 if args.command == "run" else ""), file=sys.stderr)
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
