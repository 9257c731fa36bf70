"""The docs site (`make docs`): the notebooks of nbs/ as nbdev shows them, their API and reports/, offline.

MkDocs builds the site with plugins: mkdocs-jupyter renders the notebooks from their stored outputs (it runs
nothing), MkDocs renders reports/, Material gives the theme and the search. This script does only what none of
them does, with nbdev's own processors where nbdev has one: the directives (`#| hide`, `#| export`,
`#| echo: false` ...), a show_doc box after each exported function and class, nbdev's page names and links,
TeX as MathML, and README.md, the home page's text. Why: docs/BUILDING.md.

    python docs/build.py [--site DIR]         the site (default: site/)
    python docs/build.py readme [--check]     README.md from nbs/index.ipynb
"""
import argparse, ast, html, importlib, inspect, os, re, shutil, sys
from pathlib import Path

import nbformat
from execnb.nbio import nb2str, read_nb
from fastcore.docments import MarkdownRenderer
from latex2mathml.converter import convert
from mkdocs_jupyter.utils import slugify
from nbconvert import MarkdownExporter
from nbdev.config import get_config
from nbdev.doclinks import NbdevLookup
from nbdev.process import NBProcessor
from nbdev.processors import add_show_docs, hide_, hide_line, mv_exports, rm_header_dash
from nbdev.showdoc import show_doc

CFG = get_config()
ROOT, NBS = CFG.config_path, CFG.path('nbs_path')
DOC_URL = f'{CFG.doc_host}{CFG.doc_baseurl}/'         # where nbdev's links point; the site's are relative
DIRECTIVE = re.compile(r'^\s*#\s*\|.*(\n|$)', re.MULTILINE)
MATH = re.compile(r'(```.*?```|`[^`\n]*`)|\$\$(.+?)\$\$|\$([^$\n]+?)\$', re.DOTALL)     # code is left alone
LINK = re.compile(r'(\]\(|(?:src|href)=")([^)"\s]+)')


class BuildError(Exception): "A notebook that cannot be made into a page."


def page(rel: Path) -> Path:
    "nbdev's page name for a notebook: lower case, without its number (`00_data.ipynb` -> `data.ipynb`)."
    return rel.with_name(re.sub(r'^\d+[a-zA-Z0-9]*_', '', rel.name.lower()))


def notebooks(nbs: Path) -> list:
    "The notebooks that are pages, in reading order: index, the others by file name, then each folder's."
    found = [p.relative_to(nbs) for p in nbs.rglob('*.ipynb')]
    found = [r for r in found if not any(part.startswith(('.', '_')) for part in r.parts)]
    return sorted(found, key=lambda r: (len(r.parts) > 1, r.parent.as_posix(), r.stem != 'index', r.name))


# -------------------------------------------------------------------- nbdev's directives and show_doc boxes
def cell_options(cell):
    "Quarto's cell options (`#| echo: false` ...) as Quarto applies them; then no `#|` line is left."
    if cell.cell_type != 'code': return
    d = cell.directives_
    if d.get('include:') == ['false']: return cell.pop('source')
    if d.get('echo:') == ['false']: cell.metadata['transient'] = {'remove_source': True}
    if d.get('output:') == ['false']: cell.outputs = []
    cell.source = DIRECTIVE.sub('', cell.source)
    if not cell.source.strip() and not cell.outputs: return cell.pop('source')     # a `#| default_exp` cell
    cell.metadata.pop('tags', None)                                             # papermill's `parameters`
    for o in cell.outputs:                            # a progress bar as a terminal leaves it: its last state
        if o.output_type == 'stream': o.text = re.sub(r'[^\n]*\r(?!\n)', '', ''.join(o.text))


def source_link(obj) -> str:
    "Where `obj` is defined, on the repository's host (nbdev 2.4's own link ends in `#LNone`)."
    fn = inspect.unwrap(obj)
    path = Path(inspect.getsourcefile(fn)).resolve().relative_to(ROOT).as_posix()
    return f'{CFG.git_url}/blob/{CFG.branch}/{path}#L{inspect.getsourcelines(fn)[1]}'


def show_docs(module):
    """A processor: each `show_doc(x)` cell (the notebook's own, and those nbdev's `add_show_docs` puts after
    an exported cell) becomes a Markdown cell, the box nbdev's `show_doc` makes from the installed package."""
    ns = {'show_doc': show_doc, **vars(importlib.import_module(f'{CFG.lib_name}.{module}'))} if module else {}
    def proc(cell):
        if cell.cell_type != 'code' or not cell.source.startswith('show_doc'): return
        if not module: raise BuildError(f'`{cell.source}` in a notebook with no `#| default_exp`')
        docs = [eval(ast.unparse(call), ns) for call in ast.parse(cell.source).body]
        boxes = [f'<a class="showdoc-source" href="{source_link(d.sym)}" target="_blank">source</a>\n\n'
                 f'{"#" * d.title_level} {d.nm}\n\n{MarkdownRenderer._repr_markdown_(d)}' for d in docs]
        cell.update(cell_type='markdown', source='\n\n'.join(boxes), id=cell.get('id') or os.urandom(4).hex())
        cell.metadata['tags'] = ['showdoc']                         # the box's CSS class
        for key in ('outputs', 'execution_count', 'has_sd'): cell.pop(key, None)
    return proc


def process(path: Path) -> nbformat.NotebookNode:
    "A notebook as nbdev shows it: the cells and outputs a reader sees, the API after each exported cell."
    nb = read_nb(path)
    module = next((m.group(1) for c in nb.cells if c.cell_type == 'code'
                   if (m := re.search(r'^\s*#\s*\|\s*default_exp\s+(\S+)', c.source, re.MULTILINE))), None)
    procs = [hide_, hide_line, cell_options, rm_header_dash, add_show_docs, mv_exports, show_docs(module)]
    NBProcessor(nb=nb, procs=procs).process()
    return nbformat.reads(nb2str(nb), as_version=4)


def readme(nbs: Path = NBS) -> str:
    "README.md: nbs/index.ipynb as the home page shows it, in Markdown (as `nbdev_readme` does with Quarto)."
    body, _ = MarkdownExporter().from_notebook_node(process(nbs / 'index.ipynb'))
    return re.sub(r'\n{3,}', '\n\n', body).strip() + '\n'


# ------------------------------------------------------------------------------------------------- the site
def mathml(m) -> str:
    if m.group(1): return m.group(1)
    block = m.group(2) is not None
    tex = m.group(2) if block else m.group(3)
    try: return convert(tex.strip(), display='block' if block else 'inline')
    except Exception: return f'<code>{html.escape(tex)}</code>'           # TeX latex2mathml cannot read


def site_url(url: str, base: Path, here: Path, nbs: Path, reports: Path) -> str:
    """A link of a notebook as the site has it: to a documented name or a notebook, its page; into `reports`,
    its copy; to another file of the repository, the file on the host. Relative links start from `base`;
    `here` is the page's folder in the site."""
    if url.startswith(DOC_URL):                                   # nbdev's link to a documented name
        path, _, anchor = url[len(DOC_URL):].partition('#')
        return os.path.relpath(path, here) + (f'#{slugify(anchor)}' if anchor else '')
    if re.match(r'^([a-zA-Z][a-zA-Z0-9+.-]*:|/|#)', url): return url
    path, _, anchor = url.partition('#')
    target = (base / path).resolve()
    if not target.exists(): raise BuildError(f'a link to {path}, which does not exist')
    if target.suffix == '.ipynb' and target.is_relative_to(nbs): to = page(target.relative_to(nbs))
    elif target.is_relative_to(reports): to = 'reports' / target.relative_to(reports)
    else: return f'{CFG.git_url}/blob/{CFG.branch}/{target.relative_to(ROOT).as_posix()}'
    if to.suffix in ('.ipynb', '.md'):
        to = to.with_name('index.html' if to.name == 'README.md' else to.stem + '.html')
    return os.path.relpath(to, here) + (f'#{anchor}' if anchor else '')


def write_page(nbs: Path, rel: Path, reports: Path, src: Path):
    """The page of `nbs`/`rel` into `src`: the notebook as nbdev shows it, the documented names in backticks
    linked (nbdev's `add_links`), links made the site's, TeX made MathML."""
    nb, here, lookup = process(nbs / rel), page(rel).parent, NbdevLookup()
    base = nbs.parent if rel == Path('index.ipynb') else (nbs / rel).parent    # as README.md's, from the root
    def links(text): return LINK.sub(lambda m: m[1] + site_url(m[2], base, here, nbs, reports), text)
    try:
        for cell in nb.cells:
            if cell.cell_type == 'markdown':
                cell.source = MATH.sub(mathml, links(lookup.linkify(cell.source)))
            for data in (o.data for o in cell.get('outputs', []) if 'text/markdown' in o.get('data', {})):
                data['text/markdown'] = links(data['text/markdown'])
    except BuildError as e: raise BuildError(f'nbs/{rel}: {e}') from None
    (src / page(rel)).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, src / page(rel))


def build(site: Path = ROOT / 'site', nbs: Path = NBS, reports: Path = ROOT / 'reports',
          src: Path = ROOT / 'build' / 'docs'):
    """The pages from `nbs` and `reports` into `src`, and the navigation (the notebooks in reading order, each
    folder's a section, then Results); then MkDocs builds them into `site`."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    nbs, reports = nbs.resolve(), reports.resolve()
    shutil.rmtree(src, ignore_errors=True)
    nav, sections = [], {}
    for rel in notebooks(nbs):
        write_page(nbs, rel, reports, src)
        entry = page(rel).as_posix()
        (nav if len(rel.parts) == 1 else sections.setdefault(rel.parts[0].capitalize(), [])).append(entry)
    if reports.is_dir(): shutil.copytree(reports, src / 'reports')
    results = sorted(p.relative_to(src).as_posix() for p in src.glob('reports/**/README.md'))
    nav += [{k: v} for k, v in sections.items()] + ([{'Results': results}] if results else [])
    os.environ.setdefault('NO_MKDOCS_2_WARNING', '1')
    cfg = load_config(str(ROOT / 'docs' / 'mkdocs.yml'), docs_dir=str(src), site_dir=str(site), nav=nav)
    mkdocs_build(cfg)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('what', nargs='?', choices=['site', 'readme'], default='site')
    p.add_argument('--site', default=str(ROOT / 'site'), help='where the site goes (default: site/)')
    p.add_argument('--check', action='store_true', help='readme: fail if README.md is not up to date')
    a = p.parse_args(argv)
    try:
        if a.what == 'site': return build(Path(a.site).resolve()) or print(f'built the site into {a.site}')
        text, path = readme(), ROOT / 'README.md'
        if a.check and (not path.exists() or path.read_text() != text):
            sys.exit('README.md is not the rendering of nbs/index.ipynb: run `python docs/build.py readme`')
        if not a.check: path.write_text(text)
    except BuildError as e: sys.exit(f'docs build failed: {e}')


if __name__ == '__main__': main()
