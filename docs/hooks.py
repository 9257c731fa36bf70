"""MkDocs hook of the docs site: TeX math, as written in the notebooks (`$x$`, `$$x$$`), becomes MathML at build time.

Browsers render MathML natively, so the site needs no MathJax or KaTeX script, nothing from a CDN, and works offline.
"""
import html, re

from latex2mathml.converter import convert

_MATH = re.compile(r'<(div|span) class="arithmatex">(.*?)</\1>', re.DOTALL)
_DELIMS = re.compile(r'^\s*\\[\[(](.*)\\[\])]\s*$', re.DOTALL)


def _mathml(m):
    tag, tex = m.group(1), html.unescape(m.group(2))
    inner = _DELIMS.match(tex)
    tex = inner.group(1) if inner else tex
    try: mathml = convert(tex.strip(), display='block' if tag == 'div' else 'inline')
    except Exception:                                   # TeX that latex2mathml cannot parse stays visible as TeX
        return f'<{tag} class="arithmatex tex-source"><code>{html.escape(tex)}</code></{tag}>'
    return f'<{tag} class="arithmatex">{mathml}</{tag}>'


def on_page_content(html_text, page, config, files):
    return _MATH.sub(_mathml, html_text)
