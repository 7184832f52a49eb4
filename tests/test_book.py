"""The HTML book: built from the smoke runs, one page per notebook, and every page checked
in headless Chromium (loads, images render, internal links resolve, no error outputs)."""
from __future__ import annotations

import functools
import re
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import NOTEBOOKS

CHROMIUM = Path(os.environ.get("AXLIB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
# The only remote asset a page may ask for: MathJax, on pages with math, at view time (an
# offline reader then sees the TeX source). Everything else must be served from the book.
ALLOWED_REMOTE = ("https://cdn.jsdelivr.net/npm/mathjax@",)


def test_book_has_a_page_per_notebook(smoke_book):
    html, build, seconds = smoke_book
    print(f"book built in {seconds:.1f} s -> {html}")
    for page in ("index.html", "intro.html", "reproduce.html", "notebooks/claims.html"):
        assert (html / page).is_file(), f"missing {page}"
    for name in NOTEBOOKS:
        page = html / "notebooks" / name.replace(".ipynb", ".html")
        assert page.is_file(), f"no HTML page for {name}"
        assert "cell_output" in page.read_text() or "output" in page.read_text()
    toc = (build.parent / "book" / "_toc.yml").read_text()
    positions = [toc.index(f"notebooks/{n.removesuffix('.ipynb')}") for n in NOTEBOOKS]
    assert positions == sorted(positions), "notebooks must appear in file order"
    assert toc.index("file: notebooks/claims") < positions[0] < toc.index("file: reproduce")


def test_claims_dashboard_lists_every_recorded_claim(smoke_book, smoke_runs):
    import json

    html, _, _ = smoke_book
    runs, _ = smoke_runs
    page = (html / "notebooks" / "claims.html").read_text()
    for path in runs.glob("*.results.json"):
        for claim in json.loads(path.read_text())["claims"]:
            assert claim in page, f"claim {claim} of {path.name} missing from the dashboard"


def _tiny_book(tmp_path):
    """A copy of book/ plus one unexecuted notebook standing in for a run (execution is off)."""
    import nbformat

    from axlib.book import BOOK_DIR

    book = tmp_path / "book"
    shutil.copytree(BOOK_DIR, book, ignore=shutil.ignore_patterns("_build", "notebooks", "_toc.yml"))
    nbdir, runs = tmp_path / "notebooks", tmp_path / "runs"
    nbdir.mkdir()
    runs.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny"),
                nbformat.v4.new_code_cell('profile = "smoke"', metadata={"tags": ["parameters"]})]
    nbformat.write(nb, str(nbdir / "01_tiny.ipynb"))
    nbformat.write(nb, str(nbdir / "02_second.ipynb"))
    shutil.copy(nbdir / "01_tiny.ipynb", runs / "01_tiny.ipynb")
    return book, nbdir, runs


def test_book_refuses_runs_missing_a_notebook(tmp_path):
    from axlib.book import build_book

    book, nbdir, runs = _tiny_book(tmp_path)
    with pytest.raises(FileNotFoundError, match="lacks executed notebook.*02_second.ipynb"):
        build_book(runs, tmp_path / "_build", book_dir=book, notebooks_dir=nbdir)


def test_book_build_fails_on_sphinx_errors(tmp_path):
    from axlib.book import build_book

    book, nbdir, runs = _tiny_book(tmp_path)
    (nbdir / "02_second.ipynb").unlink()
    with (book / "reproduce.md").open("a") as f:
        f.write("\n```{no-such-directive}\n```\n")
    with pytest.raises(RuntimeError, match="Unknown directive type"):
        build_book(runs, tmp_path / "_build", book_dir=book, notebooks_dir=nbdir)


# ---------------------------------------------------------------- browser check

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install it with `apt-get install chromium` "
                    "(Debian/Ubuntu) to run the browser check of the book")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _serve(root: Path):
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _local_file(root: Path, base: str, href: str) -> Path | None:
    """The file an internal link points to, or None for an external link."""
    if not href.startswith(base):
        return None
    path = unquote(urlsplit(href).path).lstrip("/")
    target = root / path
    return target / "index.html" if (not path or path.endswith("/")) else target


_REFRESH = re.compile(r'http-equiv="Refresh" content="\d+;\s*url=([^"]+)"', re.I)


def check_page(page, root: Path, base: str, url: str) -> list[str]:
    """Open url; return the problems found (empty list: the page is fine)."""
    problems, remote, js_errors = [], [], []
    source = root / unquote(urlsplit(url).path).lstrip("/")
    redirect = _REFRESH.search(source.read_text()) if source.is_file() else None
    if redirect:                      # a redirect stub (index.html): its target must exist
        target = (source.parent / redirect.group(1)).resolve()
        return [] if target.is_file() else [f"redirects to missing {redirect.group(1)}"]

    def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            remote.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    response = page.goto(url, wait_until="load")
    if response is None or not response.ok:
        return [f"did not load (status {response.status if response else 'none'})"]
    if not page.title():
        problems.append("page has no title")
    broken = page.evaluate("""() => Array.from(document.images)
        .filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'))""")
    problems += [f"image does not render: {src}" for src in broken]
    hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    for href in sorted(set(hrefs)):
        target = _local_file(root, base, href)
        if target is not None and not target.is_file():
            problems.append(f"broken internal link: {href}")
    errors = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.output.traceback, .output.error, .output .ansi-red-fg'))
        .map(e => e.innerText.slice(0, 200))""")
    problems += [f"error output shown: {text!r}" for text in errors]
    if "Traceback (most recent call last)" in page.inner_text("body"):
        problems.append("traceback text on the page")
    problems += [f"remote request: {u}" for u in remote if not u.startswith(ALLOWED_REMOTE)]
    problems += [f"JavaScript error: {e}" for e in js_errors]
    page.unroute("**/*")
    return problems


def test_checker_finds_broken_pages(browser, tmp_path):
    """The page check itself can fail: a page with a broken image, a dead link, a traceback
    and a remote script is reported on every count."""
    (tmp_path / "ok.png").write_bytes(b"not a png")
    (tmp_path / "bad.html").write_text(
        "<html><head><title>bad</title><script src='https://example.org/x.js'></script></head>"
        "<body><img src='ok.png'><a href='missing.html'>dead</a><a href='bad.html'>self</a>"
        "<div class='output traceback'>ZeroDivisionError</div></body></html>")
    server, base = _serve(tmp_path)
    try:
        page = browser.new_page()
        problems = check_page(page, tmp_path, base, f"{base}/bad.html")
        page.close()
    finally:
        server.shutdown()
    text = "\n".join(problems)
    assert "image does not render: ok.png" in text
    assert "broken internal link" in text and "missing.html" in text
    assert "bad.html" not in text.replace("/bad.html", "")  # the valid self-link is fine
    assert "error output shown" in text
    assert "remote request: https://example.org/x.js" in text


@pytest.mark.slow
def test_every_page_in_chromium(smoke_book, browser):
    html, build, _ = smoke_book
    pages = sorted(p for p in html.rglob("*.html")
                   if not p.relative_to(html).parts[0].startswith("_"))   # _static templates
    assert any(p.name == "intro.html" for p in pages)
    server, base = _serve(html)
    report = {}
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for path in pages:
            rel = path.relative_to(html).as_posix()
            found = check_page(page, html, base, f"{base}/{rel}")
            if found:
                report[rel] = found
        page.goto(f"{base}/index.html", wait_until="load")
        page.screenshot(path=str(build / "landing.png"), full_page=True)
        if NOTEBOOKS:
            first = NOTEBOOKS[0].replace(".ipynb", ".html")
            page.goto(f"{base}/notebooks/{first}", wait_until="load")
            page.screenshot(path=str(build / "notebook.png"), full_page=True)
        page.close()
    finally:
        server.shutdown()
    print(f"checked {len(pages)} pages; screenshots in {build}")
    assert not report, "\n".join(f"{rel}:\n  " + "\n  ".join(p) for rel, p in report.items())
    assert (build / "landing.png").stat().st_size > 10_000
