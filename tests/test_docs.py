"""The docs site as a reader sees it: built by docs/build.py (`make docs`), served on 127.0.0.1 and opened in headless
Chromium (Debian's, driven by Playwright). Screenshots of every page go to build/docs-screenshots/.

`make test` builds site/ first and points BIONER_KD_SITE at it; run alone, the test builds the site itself.
"""
import base64, importlib.util, io, os, re, shutil, tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
import pytest

from helpers import serve

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path('/usr/bin/chromium')
SHOTS = ROOT / 'build' / 'docs-screenshots'
spec = importlib.util.spec_from_file_location('docs_build', ROOT / 'docs' / 'build.py')
docs = importlib.util.module_from_spec(spec); spec.loader.exec_module(docs)

DIRECTIVE_LINE = re.compile(r'^\s*#\s*\|', re.MULTILINE)


# ------------------------------------------------------------------------------------------------ serving and browsing
class Browser:
    "Headless Chromium on a served site; `open` loads a page and records what went wrong on it."
    def __init__(self, base: str, shots: Path):
        from playwright.sync_api import sync_playwright
        self.base, self.shots = base, shots
        shutil.rmtree(shots, ignore_errors=True); shots.mkdir(parents=True)
        self.profile = tempfile.mkdtemp(prefix='chromium-profile-')
        self.pw = sync_playwright().start()
        self.ctx = self.pw.chromium.launch_persistent_context(
            self.profile, executable_path=str(CHROMIUM), headless=True, viewport={'width': 1280, 'height': 900},
            args=['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync'])
        self.page = self.ctx.new_page()
        self.problems, self.outside = [], []
        self.page.on('pageerror', lambda e: self.problems.append(f'JavaScript error: {e}'))
        self.page.on('console', self._console)
        self.page.on('response', lambda r: r.status >= 400 and self.local(r.url)
                     and self.problems.append(f'HTTP {r.status} for {r.url}'))
        self.page.route('**/*', self._route)

    def local(self, url: str) -> bool: return urlparse(url).hostname in ('127.0.0.1', None) or url.startswith('data:')

    def _route(self, route):
        "Nothing leaves 127.0.0.1: a request elsewhere is recorded and refused."
        if self.local(route.request.url): return route.continue_()
        self.outside.append((route.request.resource_type, route.request.url)); route.abort()

    def _console(self, msg):
        if msg.type == 'error' and self.local(msg.location.get('url', '') or self.base): self.problems.append(f'console error: {msg.text}')

    def open(self, path: str):
        self.problems.clear()
        r = self.page.goto(f'{self.base}/{path}', wait_until='load')
        assert r is not None and r.ok, f'{path}: HTTP {r and r.status}'
        self.page.wait_for_load_state('networkidle')
        return self.page

    def text(self, selector='body') -> str: return self.page.locator(selector).first.inner_text()

    def shot(self, name: str, selector: str = None, full_page=False):
        path = self.shots / f'{name}.png'
        if selector: self.page.locator(selector).first.screenshot(path=path)
        else: self.page.screenshot(path=path, full_page=full_page)
        return path

    def close(self):
        self.ctx.close(); self.pw.stop(); shutil.rmtree(self.profile, ignore_errors=True)


@contextmanager
def browse(site: Path, shots: Path):
    if not CHROMIUM.exists(): pytest.fail('Chromium is not installed: `make chromium` (run by `make test`) installs it')
    with serve(site) as base:
        b = Browser(base, shots)
        try: yield b
        finally: b.close()


def check_page(b: Browser, path: str, title: str = None) -> str:
    "Load a page; fail on an error, empty content, a visible directive comment or Quarto attribute text. Its text."
    page = b.open(path)
    article = b.text('article')
    assert page.locator('article h1').count() >= 1 and len(article.strip()) > 20, f'{path}: no content'
    if title: assert page.locator('article h1').first.inner_text().strip().rstrip('¶').strip() == title
    body = b.text('body')
    assert not DIRECTIVE_LINE.search(body), f'{path}: a directive comment is visible: ' + \
        next(l for l in body.splitlines() if DIRECTIVE_LINE.match(l))
    assert '{target=' not in body and '{: ' not in body, f'{path}: Quarto/attr_list attributes shown as text'
    broken = page.evaluate('[...document.querySelectorAll("article img")].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)')
    assert not broken, f'{path}: images that do not load: {broken}'
    assert not b.problems, f'{path}: ' + '; '.join(b.problems)
    assert not [u for t, u in b.outside if t in ('script', 'stylesheet', 'font')], f'{path}: loads from outside: {b.outside}'
    return article


def nav_links(b: Browser) -> list:
    return b.page.evaluate('[...document.querySelectorAll("nav.md-nav--primary a.md-nav__link[href]")].map(a => a.getAttribute("href"))')


def search(b: Browser, query: str) -> list:
    "Type into the search box; the links of the results."
    b.page.locator('input.md-search__input').click()
    b.page.keyboard.type(query)
    b.page.wait_for_selector('.md-search-result__item a')
    return b.page.evaluate('[...document.querySelectorAll(".md-search-result__item a")].map(a => a.href)')


def doc_headings(b: Browser) -> list:
    return [h.rstrip('¶').strip() for h in b.page.locator('.nb-doc h3').all_inner_texts()]


def readme_blocks() -> list:
    "The text of README.md, block by block (headings, paragraphs, list items, table cells, code lines)."
    import markdown
    from bs4 import BeautifulSoup
    text = re.sub(r'\$\$.*?\$\$', '', (ROOT / 'README.md').read_text(), flags=re.DOTALL)      # math renders as MathML
    soup = BeautifulSoup(markdown.markdown(text, extensions=['tables', 'fenced_code']), 'html.parser')
    blocks = [e.get_text() for e in soup.find_all(['h1', 'h2', 'h3', 'p', 'li', 'td', 'th'])]
    blocks += [l for pre in soup.find_all('pre') for l in pre.get_text().splitlines()]
    return [b for b in (norm(x) for x in blocks) if b]


def norm(s: str) -> str: return re.sub(r'\s+', ' ', s.replace('¶', '')).strip()


# ------------------------------------------------------------------------------------------------------- the real site
@pytest.fixture(scope='module')
def site(tmp_path_factory):
    if os.environ.get('BIONER_KD_SITE'): return Path(os.environ['BIONER_KD_SITE'])
    out = tmp_path_factory.mktemp('site')
    docs.build(out / 'site', out / 'src', ROOT / 'reports')
    return out / 'site'


def module_api(module: str) -> list:
    "The functions and classes a module exports (its `__all__`, as nbdev writes it from `#| export` cells)."
    import importlib, inspect
    mod = importlib.import_module(f'{docs.LIB}.{module}')
    return [n for n in getattr(mod, '__all__', []) if (inspect.isfunction(o := getattr(mod, n, None)) or inspect.isclass(o))
            and o.__module__ == mod.__name__]


def test_every_page_renders(site):
    pages = [docs.Page(docs.ROOT / 'nbs', rel) for rel in docs.notebooks(docs.ROOT / 'nbs')]
    with browse(site, SHOTS / 'site') as b:
        home = check_page(b, 'index.html')
        b.shot('index')
        text = norm(home)
        missing = [blk for blk in readme_blocks() if blk not in text]
        assert not missing, f'home page lacks README text: {missing[:5]}'
        links = nav_links(b)
        for p in pages[1:]:
            path = p.md.with_suffix('.html').as_posix()
            assert path in links, f'{path} is not in the navigation'
            check_page(b, path, docs.plain(p.title))
            b.shot(p.md.with_suffix('').as_posix().replace('/', '_'))
            if p.default_exp:
                api = module_api(p.default_exp)
                shown = doc_headings(b)
                assert set(api) <= set(shown), f'{path}: no show_doc for {sorted(set(api) - set(shown))}'
                if shown: b.shot(p.md.stem + '-api', '.nb-doc')
        assert 'results.html' in links
        results = check_page(b, 'results.html', 'Results')
        b.shot('results', full_page=True)
        profiles = [d for d in (ROOT / 'reports').iterdir() if d.is_dir() and not d.name.startswith(('.', '_'))] \
            if (ROOT / 'reports').is_dir() else []
        profiles = [d for d in profiles if any(f.is_file() for f in d.rglob('*'))]
        if not profiles: assert 'No reports yet' in results
        for d in profiles:
            for t in d.rglob('*.md'):
                cells = [c.strip() for l in t.read_text().splitlines() if l.startswith('|') and not set(l) <= set('|-: ')
                         for c in l.strip('|').split('|') if c.strip()]
                assert all(norm(c.replace('**', '').replace('`', '')) in norm(results) for c in cells[:20]), f'{t}: not on the Results page'
            images = b.page.evaluate('[...document.querySelectorAll("article img")].map(i => i.src)')
            hrefs = b.page.evaluate('[...document.querySelectorAll("article a")].map(a => a.href)')
            for f in list(d.rglob('*.png')) + list(d.rglob('*.svg')):     # each figure shown once, as PNG or SVG
                assert any(src.endswith((f.stem + '.png', f.stem + '.svg')) for src in images), f'{f} is not shown on the Results page'
                assert any(u.endswith(f.name) for u in images + hrefs), f'{f} is neither shown nor linked on the Results page'
        api_pages = [p for p in pages if p.default_exp and module_api(p.default_exp)]
        if api_pages:
            b.open('index.html')
            name = module_api(api_pages[0].default_exp)[0]
            hits = search(b, name)
            b.shot('search')
            assert any(urlparse(h).path.endswith('/' + api_pages[0].md.with_suffix('.html').as_posix()) for h in hits), hits


# ------------------------------------------------------------------------------------------ every directive and output
def png_bytes() -> bytes:
    from PIL import Image, ImageDraw
    im = Image.new('RGB', (120, 60), 'white'); ImageDraw.Draw(im).rectangle([10, 10, 110, 50], fill='steelblue')
    buf = io.BytesIO(); im.save(buf, format='PNG'); return buf.getvalue()


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="160" height="80"><rect x="5" y="5" width="150" height="70" '
       'fill="darkorange"/><text x="20" y="45">FIGURE3_MARK</text></svg>')


def stream(text, name='stdout'): return new_output('stream', name=name, text=text)
def result(data): return new_output('execute_result', data=data, execution_count=1)


def directives_notebook() -> nbformat.NotebookNode:
    import pandas as pd
    from nbdev.showdoc import show_doc
    from bioner_kd import data
    showdoc_md = show_doc(data.read_conll)._repr_markdown_()
    assert '{target=' in showdoc_md                   # the Quarto attributes the site must not show
    df_html = pd.DataFrame({'dataset': ['NCBI'], 'f1': ['DF_CELL_MARK']}).to_html()
    cells = [
        new_markdown_cell('# Directives\n\n> Every directive and kind of output, as nbdev shows them.'),
        new_code_cell('#| default_exp data'),
        new_code_cell('#| hide\nHIDDEN_CODE_MARK = 1', outputs=[stream('HIDDEN_OUTPUT_MARK\n')]),
        new_code_cell("#| echo: false\nprint('ECHO_CODE_MARK')", outputs=[stream('ECHO_OUTPUT_MARK\n')]),
        new_code_cell('#| output: false\nOUTPUT_CODE_MARK = 2', outputs=[stream('OUTPUT_OUTPUT_MARK\n')]),
        new_code_cell('#| eval: false\nEVAL_MARK = 3'),
        new_code_cell('#| slow\nSLOW_MARK = 4', outputs=[result({'text/plain': 'SLOW_OUTPUT_MARK'})]),
        new_code_cell('#|gpu\n# | label: fig-x\nGPU_MARK = 5\nx = 1  #| hide_line'),
        new_code_cell('#| include: false\nINCLUDE_MARK = 6'),
        new_markdown_cell('## Exported\n\n`load_split` and `split_stats` are documented below; a list:\n- one\n- two'),
        new_code_cell('#| export\ndef load_split(dataset, split):\n    "EXPORT_CODE_MARK"\n    return []'),
        new_code_cell('#| exporti\ndef _helper(): return "EXPORTI_MARK"'),
        new_code_cell('#| exports\ndef split_stats(sentences):\n    return "EXPORTS_MARK"'),
        new_code_cell('show_doc(read_conll)', outputs=[result({'text/markdown': showdoc_md, 'text/plain': '<...>'})]),
        new_code_cell('df', outputs=[result({'text/html': df_html, 'text/plain': 'df'})]),
        new_code_cell('plot()', outputs=[new_output('display_data', data={'image/png': base64.b64encode(png_bytes()).decode(),
                                                                         'text/plain': '<Figure>'})]),
        new_code_cell('train()', outputs=[stream(' 10%|#   \r 50%|#####  \r100%|##########| STDERR_MARK\n', 'stderr')]),
        new_code_cell('fail()', outputs=[new_output('error', ename='ValueError', evalue='ERROR_MARK',
                                                    traceback=['\x1b[0;31mValueError\x1b[0m: ERROR_MARK'])]),
        new_markdown_cell('## Maths and links\n\nInline $x^2$ and\n\n$$\\alpha + \\beta$$\n\n'
                          'See [the grid experiment](experiments/01_grid.ipynb).'),
    ]
    return new_notebook(cells=cells, metadata={'kernelspec': {'name': 'python3', 'display_name': 'python3', 'language': 'python'}})


def experiment_notebook():
    cell = new_code_cell("profile = 'quick'", outputs=[stream('EXPERIMENT_MARK\n')])
    cell.metadata['tags'] = ['parameters']
    return new_notebook(cells=[new_markdown_cell('# Grid experiment\n\n> One run of the grid, parameterised.'), cell])


@pytest.fixture(scope='module')
def fixture_site(tmp_path_factory):
    "A site from index.ipynb, a notebook with every directive, an experiment notebook and a reports/quick/ folder."
    tmp = tmp_path_factory.mktemp('fixture')
    nbs, reports = tmp / 'nbs', tmp / 'reports'
    (nbs / 'experiments').mkdir(parents=True)
    shutil.copy(ROOT / 'nbs' / 'index.ipynb', nbs / 'index.ipynb')
    nbformat.write(directives_notebook(), nbs / '99_directives.ipynb')
    nbformat.write(experiment_notebook(), nbs / 'experiments' / '01_grid.ipynb')
    (nbs / 'experiments' / '.notest').touch()
    q = reports / 'quick'; q.mkdir(parents=True)
    (reports / 'README.md').write_text('# Reports\n\nINTRO_MARK: one folder per profile.\n')
    (q / 'README.md').write_text('# Profile quick\n\nSeeds 1-3, PROFILE_MARK. [Table 1](table1.md) is below; '
                                 'the [runs](runs.csv).\n\n![Figure 2](fig2.png)\n')
    (q / 'table1.md').write_text('| dataset | F1 |\n|:--|--:|\n| NCBI | 87.1 TABLE_MARK |\n')
    (q / 'table1.csv').write_text('dataset,F1\nNCBI,87.1\n')
    (q / 'table1.tex').write_text('\\begin{tabular}{lr}NCBI & 87.1\\end{tabular}\n')
    (q / 'runs.csv').write_text('run\n1\n')
    (q / 'fig2.png').write_bytes(png_bytes())
    (q / 'fig3.svg').write_text(SVG)
    docs.build(tmp / 'site', tmp / 'src', reports, nbs=nbs)
    return tmp / 'site'


def test_directives_outputs_and_reports(fixture_site):
    with browse(fixture_site, SHOTS / 'fixture') as b:
        check_page(b, 'index.html')
        assert [l for l in nav_links(b) if 'experiments/' in l] == ['experiments/grid.html']
        assert 'Experiments' in b.text('nav.md-nav--primary')

        text = check_page(b, 'directives.html', 'Directives')
        b.shot('directives', full_page=True)
        for absent in ('HIDDEN_CODE_MARK', 'HIDDEN_OUTPUT_MARK', 'ECHO_CODE_MARK', 'OUTPUT_OUTPUT_MARK', 'INCLUDE_MARK',
                       'default_exp', 'hide_line', 'x = 1'):
            assert absent not in text, absent
        for shown in ('ECHO_OUTPUT_MARK', 'OUTPUT_CODE_MARK', 'EVAL_MARK', 'SLOW_MARK', 'SLOW_OUTPUT_MARK', 'GPU_MARK',
                      'EXPORT_CODE_MARK', 'EXPORTI_MARK', 'EXPORTS_MARK', 'ERROR_MARK'):
            assert shown in text, shown
        assert doc_headings(b) == ['load_split', 'split_stats', 'read_conll']       # not _helper; `exports`: doc first
        assert b.page.locator('.nb-doc a[target="_blank"]', has_text='source').count() == 3
        assert b.page.locator('table.dataframe td', has_text='DF_CELL_MARK').count() == 1
        assert b.page.locator('.nb-image img').count() == 1
        assert b.page.locator('.nb-stderr').inner_text().strip() == '100%|##########| STDERR_MARK'
        assert b.page.locator('.nb-error').inner_text().strip() == 'ValueError: ERROR_MARK'
        assert b.page.locator('article math').count() == 2 and '$' not in text
        assert b.page.locator('article li').count() == 2
        assert b.page.locator('article a[href="#load_split"]').count() >= 1                # `name` links to its doc
        b.page.locator('article a', has_text='the grid experiment').click()
        b.page.wait_for_load_state('load')
        assert b.page.url.endswith('/experiments/grid.html')
        assert 'EXPERIMENT_MARK' in check_page(b, 'experiments/grid.html', 'Grid experiment')

        results = check_page(b, 'results.html', 'Results')
        b.shot('results', full_page=True)
        for mark in ('INTRO_MARK', 'Profile quick', 'PROFILE_MARK'):
            assert mark in results, mark
        assert b.page.locator('article table td', has_text='TABLE_MARK').count() == 1
        images = b.page.evaluate('[...document.querySelectorAll("article img")].map(i => [i.src, i.naturalWidth])')
        assert sorted(src.rsplit('/', 1)[1] for src, w in images if w > 0) == ['fig2.png', 'fig3.svg']
        hrefs = b.page.evaluate('[...document.querySelectorAll("article a")].map(a => a.getAttribute("href"))')
        for f in ('results/quick/table1.csv', 'results/quick/table1.tex', 'results/quick/runs.csv'):
            assert f in hrefs, f
            assert b.page.request.get(f'{b.base}/{f}').ok
        anchor = next(h for h in hrefs if h.startswith('#quick-'))
        assert b.page.locator(anchor).count() == 1                                   # [Table 1](table1.md) lands on it

        b.open('index.html')
        assert any(urlparse(h).path.endswith('/directives.html') for h in search(b, 'load_split'))


def test_results_page_without_reports(tmp_path):
    site = docs.Site.__new__(docs.Site)
    site.src, site.reports = tmp_path / 'src', tmp_path / 'reports'
    assert 'No reports yet' in site.results()


def test_a_broken_link_fails_the_build(tmp_path):
    nbs = tmp_path / 'nbs'; nbs.mkdir()
    shutil.copy(ROOT / 'nbs' / 'index.ipynb', nbs / 'index.ipynb')
    nbformat.write(new_notebook(cells=[new_markdown_cell('# Links\n\n> d'), new_markdown_cell('See [this](missing.md).')]),
                   nbs / '01_links.ipynb')
    with pytest.raises(docs.BuildError, match='missing.md'):
        docs.build(tmp_path / 'site', tmp_path / 'src', tmp_path / 'reports', nbs=nbs)


def test_home_page_source_is_the_readme(tmp_path):
    "The home page is README.md's text; only link targets change, to where the site holds them."
    site = docs.Site(ROOT / 'nbs', tmp_path, ROOT / 'reports')
    import nbmd
    unlink = lambda md: re.sub(r'\]\([^)]*\)', '](...)', md)
    readme = nbmd.normalize_markdown((ROOT / 'README.md').read_text())
    assert unlink(site.home()) == unlink(readme)
    for target in re.findall(r'\]\((reports/[^)#]*\.md)\)', readme):      # a report's Markdown: the Results page
        assert (ROOT / target).is_file() and f']({target})' not in site.home()
    if re.search(r'\]\(reports/[^)#]*\.md\)', readme): assert '](results.md)' in site.home()


# ------------------------------------------------------------------------------------- nbdev_docs, for Quarto users
def test_quarto_files_are_nbdevs():
    import yaml
    q = yaml.safe_load((ROOT / 'nbs' / '_quarto.yml').read_text())
    assert q['project']['type'] == 'website' and q['metadata-files'] == ['nbdev.yml', 'sidebar.yml']
    assert q['format']['html']['css'] == 'styles.css' and (ROOT / 'nbs' / 'styles.css').read_text().count('{') >= 5


@pytest.mark.parametrize('rel', [r for r in docs.notebooks(ROOT / 'nbs')], ids=str)
def test_nbdev_docs_can_process(rel, monkeypatch):
    """What `nbdev_docs` does to a notebook before Quarto renders it: nbdev's processors, which run the exported
    cells and every cell with an import to make the `show_doc` output. A cell mixing an import with code that needs
    unexported cells breaks it (keep such imports in a cell of their own)."""
    import warnings
    from execnb.nbio import read_nb
    from nbdev.processors import FilterDefaults
    monkeypatch.chdir(ROOT)
    nb = read_nb(ROOT / 'nbs' / rel)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try: FilterDefaults()(nb)
        except Exception as e: pytest.fail(f'nbdev_docs would fail on nbs/{rel}: {e}\n{e.__cause__!r}')
