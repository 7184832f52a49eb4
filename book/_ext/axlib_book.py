"""Local Sphinx extension of the companion book.

Escapes the ``|x|`` of absolute values in axlib's docstrings for the API page (reST would read
them as substitution references); tables and literals are left alone.

Drops duplicate <script> entries from every page. With jupyter-book 1.0.4, sphinx-thebe
0.3.1 and Sphinx 7.4, sphinx-thebe's inline configuration script (``const THEBE_JS_URL =
...``) is added twice to each page, and the second copy raises "Identifier 'THEBE_JS_URL'
has already been declared" in the browser.
"""
import re


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        key = (getattr(script, "filename", script) or "", attributes.get("body"))  # None == ""
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique     # in place: handlers after this one may still add page scripts


_LITERAL = re.compile(r"(``.*?``)")


def _escape_bars(app, what, name, obj, options, lines):
    """autodoc-process-docstring: ``|`` outside ``literals`` becomes ``\\|``, except on table
    and line-block lines (those starting with ``|`` or ``+``)."""
    for i, line in enumerate(lines):
        if "|" not in line or line.lstrip().startswith(("|", "+")):
            continue
        parts = _LITERAL.split(line)
        lines[i] = "".join(part if part.startswith("``") else part.replace("|", "\\|") for part in parts)


def setup(app):
    app.connect("autodoc-process-docstring", _escape_bars)
    # Early (default is 500): html-page-context stops at the first handler that returns a
    # template name, so a late handler might never run.
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
