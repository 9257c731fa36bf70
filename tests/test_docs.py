"""The docs site as a reader sees it: built by docs/build.py (`make docs`), served on 127.0.0.1, every page
opened in headless Chromium (Debian's, driven by Playwright). Screenshots of them: build/docs-screenshots/.

`make test` builds site/ first and points BIONER_KD_SITE at it; run alone, the test builds the site itself.
"""
import base64, importlib.util, inspect, io, os, re, shutil
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


@contextmanager
def browse(site: Path, shots: Path):
    "Headless Chromium on the served site; a request that leaves 127.0.0.1 is refused and recorded."
    from playwright.sync_api import sync_playwright
    if not CHROMIUM.exists(): pytest.fail('no Chromium: `make chromium` (run by `make test`) installs it')
    shutil.rmtree(shots, ignore_errors=True); shots.mkdir(parents=True)
    with serve(site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=['--no-sandbox', '--disable-gpu'])
        page = browser.new_page(viewport={'width': 1280, 'height': 900})
        page.base, page.shots, page.problems, page.outside = base, shots, [], []
        local = lambda url: urlparse(url).hostname in ('127.0.0.1', None) or url.startswith('data:')
        def route(r):
            if local(r.request.url): return r.continue_()
            page.outside.append((r.request.resource_type, r.request.url)); r.abort()
        page.route('**/*', route)
        page.on('pageerror', lambda e: page.problems.append(f'JavaScript error: {e}'))
        page.on('console', lambda m: m.type == 'error' and page.problems.append(f'console error: {m.text}'))
        page.on('response', lambda r: r.status >= 400 and page.problems.append(f'HTTP {r.status}: {r.url}'))
        try: yield page
        finally: browser.close()


def check_page(page, path: str) -> str:
    "Load a page, screenshot it; fail on an error, no content, a broken image, a `#|` line shown. Its text."
    page.problems.clear()
    r = page.goto(f'{page.base}/{path}')
    assert r is not None and r.ok, f'{path}: HTTP {r and r.status}'
    page.screenshot(path=page.shots / (path.replace('/', '_') + '.png'))
    text = page.locator('article').first.inner_text()
    assert page.locator('article h1').count() >= 1 and len(text.strip()) > 20, f'{path}: no content'
    assert not DIRECTIVE_LINE.search(text), f'{path}: a directive is shown: {DIRECTIVE_LINE.search(text)}'
    assert '{target=' not in text and '{: ' not in text, f'{path}: attributes shown as text'
    broken = [i for i in page.evaluate('[...document.images].map(i => [i.src, i.naturalWidth])') if not i[1]]
    assert not broken, f'{path}: images that do not load: {broken}'
    assert not page.problems, f'{path}: ' + '; '.join(page.problems)
    assert not [u for t, u in page.outside if t in ('script', 'stylesheet', 'font')], f'{path}: outside'
    return text


def links(page, selector='article a') -> list:
    return page.evaluate(f'[...document.querySelectorAll({selector!r})].map(a => a.getAttribute("href"))')


def search(page, query: str) -> list:
    "Type into the search box; the paths of the results."
    page.locator('input.md-search__input').click()
    page.keyboard.type(query)
    page.wait_for_selector('.md-search-result__item a')
    return [urlparse(h).path for h in links(page, '.md-search-result__item a')]


def doc_names(page) -> list:
    "The names in the show_doc boxes of the page."
    return [h.rstrip('¶').strip() for h in page.locator('.celltag_showdoc h3').all_inner_texts()]


def norm(s: str) -> str: return re.sub(r'\s+', ' ', s.replace('¶', '')).strip()


def readme_blocks() -> list:
    "The text of README.md, block by block (headings, paragraphs, list items, table cells, code lines)."
    import markdown
    from bs4 import BeautifulSoup
    text = re.sub(r'\$\$.*?\$\$', '', (ROOT / 'README.md').read_text(), flags=re.DOTALL)    # MathML there
    soup = BeautifulSoup(markdown.markdown(text, extensions=['tables', 'fenced_code']), 'html.parser')
    blocks = [e.get_text() for e in soup.find_all(['h1', 'h2', 'h3', 'p', 'li', 'td', 'th'])]
    blocks += [line for pre in soup.find_all('pre') for line in pre.get_text().splitlines()]
    return [b for b in map(norm, blocks) if b]


def table_cells(md: str) -> list:
    "The text of the cells of the Markdown tables in `md`."
    rows = [line.strip('|') for line in md.splitlines() if line.startswith('|') and set(line) - set('|-: ')]
    return [norm(re.sub(r'\[([^\]]*)\]\([^)]*\)|\*\*|`', r'\1', c)) for row in rows for c in row.split('|')]


def module_api(nb: Path) -> list:
    "The functions and classes that the module of notebook `nb` exports (its `__all__`, written by nbdev)."
    m = re.search(r'#\|\s*default_exp\s+([\w.]+)', nb.read_text())
    mod = importlib.import_module(f'{docs.CFG.lib_name}.{m[1]}') if m else None
    return [n for n in getattr(mod, '__all__', []) if (inspect.isfunction(o := getattr(mod, n))
            or inspect.isclass(o)) and o.__module__ == mod.__name__]


# -------------------------------------------------------------------------------------------- the real site
@pytest.fixture(scope='module')
def site(tmp_path_factory):
    if os.environ.get('BIONER_KD_SITE'): return Path(os.environ['BIONER_KD_SITE'])
    out = tmp_path_factory.mktemp('site')
    docs.build(out / 'site', src=out / 'src')
    return out / 'site'


def test_every_page_renders(site):
    """Every page loads cleanly; the home page holds README.md; every notebook is a page in the navigation,
    with a show_doc box for each function and class of its module; every report is a page with its tables and
    figures; the search finds an API name."""
    nbs = docs.notebooks(ROOT / 'nbs')
    notebooks = {docs.page(r).with_suffix('.html').as_posix(): ROOT / 'nbs' / r for r in nbs}
    html = lambda md: re.sub(r'(README)?\.md$', lambda m: 'index.html' if m[1] else '.html', md)
    reports = {html(r.relative_to(ROOT).as_posix()): r for r in (ROOT / 'reports').rglob('*.md')}
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob('*.html') if p.name != '404.html')
    assert set(notebooks) | set(reports) <= set(pages)
    with browse(site, SHOTS / 'site') as b:
        home = norm(check_page(b, 'index.html'))
        assert not [blk for blk in readme_blocks() if blk not in home], 'the home page lacks README.md text'
        assert set(notebooks) <= set(links(b, 'nav.md-nav--primary a.md-nav__link[href]'))
        for path in pages:
            text = norm(check_page(b, path))
            if path in notebooks:
                missing = set(module_api(notebooks[path])) - set(doc_names(b))
                assert not missing, f'{path}: no show_doc box for {sorted(missing)}'
            if path in reports:
                md = reports[path].read_text()
                assert all(c in text for c in table_cells(md)), f'{path}: lacks the tables of {reports[path]}'
                shown = b.evaluate('[...document.images].map(i => i.src)')
                for figure in re.findall(r'!\[[^\]]*\]\(([^)]+)\)', md):
                    assert any(s.endswith('/' + figure) for s in shown), f'{path}: {figure} not shown'
        path, nb = next((p, nb) for p, nb in notebooks.items() if module_api(nb))
        check_page(b, 'index.html')
        assert '/' + path in search(b, module_api(nb)[0])


# ------------------------------------------------------------------------------- every directive and output
def png_bytes() -> bytes:
    from PIL import Image, ImageDraw
    im = Image.new('RGB', (120, 60), 'white')
    ImageDraw.Draw(im).rectangle([10, 10, 110, 50], fill='steelblue')
    buf = io.BytesIO(); im.save(buf, format='PNG'); return buf.getvalue()


def stream(text, name='stdout'): return new_output('stream', name=name, text=text)
def result(data): return new_output('execute_result', data=data, execution_count=1)
def home_notebook(): return new_notebook(cells=[new_markdown_cell('# Home\n\n> HOME_MARK, as README.md')])


def directives_notebook() -> nbformat.NotebookNode:
    import pandas as pd
    df_html = pd.DataFrame({'dataset': ['NCBI'], 'f1': ['DF_CELL_MARK']}).to_html()
    png = base64.b64encode(png_bytes()).decode()
    return new_notebook(cells=[
        new_markdown_cell('# Directives\n\n> Every directive and kind of output, as nbdev shows them.'),
        new_code_cell('#| default_exp data'),
        new_code_cell('#| hide\nHIDDEN_CODE_MARK = 1', outputs=[stream('HIDDEN_OUTPUT_MARK\n')]),
        new_code_cell("#| echo: false\nprint('ECHO_CODE_MARK')", outputs=[stream('ECHO_OUTPUT_MARK\n')]),
        new_code_cell('#| output: false\nOUTPUT_CODE_MARK = 2', outputs=[stream('OUTPUT_OUTPUT_MARK\n')]),
        new_code_cell('#| eval: false\nEVAL_MARK = 3'),
        new_code_cell('#| slow\nSLOW_MARK = 4', outputs=[result({'text/plain': 'SLOW_OUTPUT_MARK'})]),
        new_code_cell('#|gpu\n# | label: fig-x\nGPU_MARK = 5\nx = 1  #| hide_line'),
        new_code_cell('#| include: false\nINCLUDE_MARK = 6'),
        new_markdown_cell('## Exported\n\n`load_split` and `split_stats` are documented below.'),
        new_code_cell('#| export\ndef load_split(dataset, split):\n    "EXPORT_CODE_MARK"\n    return []'),
        new_code_cell('#| exporti\ndef _helper(): return "EXPORTI_MARK"'),
        new_code_cell('#| exports\ndef split_stats(sentences):\n    return "EXPORTS_MARK"'),
        new_code_cell('show_doc(read_conll)', outputs=[result({'text/markdown': '[x](y){target="_blank"}'})]),
        new_code_cell('df', outputs=[result({'text/html': df_html, 'text/plain': 'df'})]),
        new_code_cell('plot()', outputs=[new_output('display_data', data={'image/png': png})]),
        new_code_cell('train()', outputs=[stream(' 10%|#\r 50%|###\r100%|######| STDERR_MARK\n', 'stderr')]),
        new_code_cell('fail()', outputs=[new_output('error', ename='ValueError', evalue='ERROR_MARK',
                                                    traceback=['\x1b[0;31mValueError\x1b[0m: ERROR_MARK'])]),
        new_markdown_cell('## Maths and links\n\nInline $x^2$, `$NOT_MATH$` and\n\n$$\\alpha + \\beta$$\n\n'
                          'See [the grid experiment](experiments/01_grid.ipynb) and '
                          '[Table 1](../reports/quick/README.md).'),
    ], metadata={'kernelspec': {'name': 'python3', 'display_name': 'python3', 'language': 'python'}})


@pytest.fixture(scope='module')
def fixture_site(tmp_path_factory):
    "A site of a home page, a notebook with every directive, an experiment notebook and reports/quick/."
    tmp = tmp_path_factory.mktemp('fixture')
    nbs, q = tmp / 'nbs', tmp / 'reports' / 'quick'
    (nbs / 'experiments').mkdir(parents=True); q.mkdir(parents=True)
    nbformat.write(home_notebook(), nbs / 'index.ipynb')
    nbformat.write(directives_notebook(), nbs / '99_directives.ipynb')
    cell = new_code_cell("profile = 'quick'", outputs=[stream('EXPERIMENT_MARK\n')])
    cell.metadata['tags'] = ['parameters']
    grid = new_notebook(cells=[new_markdown_cell('# Grid experiment\n\n> One run of the grid.'), cell])
    nbformat.write(grid, nbs / 'experiments' / '01_grid.ipynb')
    (tmp / 'reports' / 'README.md').write_text('# Reports\n\nINTRO_MARK: one folder per profile.\n')
    (q / 'README.md').write_text('# Profile quick\n\n| dataset | F1 |\n|:--|--:|\n| NCBI | TABLE_MARK |\n\n'
                                 'As [CSV](table1.csv); [by pair](conover.md).\n\n![Figure 2](fig2.png)\n')
    (q / 'conover.md').write_text('# Conover\n\n| a | b |\n|--|--|\n| 1 | PAIR_MARK |\n')
    (q / 'table1.csv').write_text('dataset,F1\nNCBI,87.1\n')
    (q / 'fig2.png').write_bytes(png_bytes())
    docs.build(tmp / 'site', nbs, tmp / 'reports', tmp / 'src')
    return tmp / 'site'


def test_directives_outputs_and_reports(fixture_site):
    with browse(fixture_site, SHOTS / 'fixture') as b:
        assert 'HOME_MARK' in check_page(b, 'index.html')
        assert [h for h in links(b, 'nav a[href]') if 'experiments/' in h] == ['experiments/grid.html']
        assert 'Experiments' in b.locator('nav.md-nav--primary').first.inner_text()

        text = check_page(b, 'directives.html')
        for absent in ('HIDDEN_CODE_MARK', 'HIDDEN_OUTPUT_MARK', 'ECHO_CODE_MARK', 'OUTPUT_OUTPUT_MARK',
                       'INCLUDE_MARK', 'default_exp', 'hide_line', 'x = 1', 'show_doc', '10%'):
            assert absent not in text, absent
        for shown in ('ECHO_OUTPUT_MARK', 'OUTPUT_CODE_MARK', 'EVAL_MARK', 'SLOW_MARK', 'SLOW_OUTPUT_MARK',
                      'GPU_MARK', 'EXPORT_CODE_MARK', 'EXPORTI_MARK', 'EXPORTS_MARK', 'ERROR_MARK',
                      '100%|######| STDERR_MARK'):
            assert shown in text, shown
        assert doc_names(b) == ['load_split', 'split_stats', 'read_conll']     # `exports`: the doc first
        assert b.locator('.celltag_showdoc a.showdoc-source[target="_blank"][href*=".py#L"]').count() == 3
        assert b.locator('table.dataframe td', has_text='DF_CELL_MARK').count() == 1
        assert b.locator('.jp-OutputArea-output img').count() == 1
        assert b.locator('article math').count() == 2 and '$x' not in text and '$NOT_MATH$' in text
        assert 'reports/quick/index.html' in links(b)
        b.locator('article a', has_text='the grid experiment').click()
        b.wait_for_load_state('load')
        assert b.url.endswith('/experiments/grid.html')
        grid = check_page(b, 'experiments/grid.html')
        assert 'EXPERIMENT_MARK' in grid and 'parameters' not in grid

        assert 'INTRO_MARK' in check_page(b, 'reports/index.html')
        assert 'TABLE_MARK' in check_page(b, 'reports/quick/index.html')
        assert [s for s in b.evaluate('[...document.images].map(i => i.src)') if s.endswith('/fig2.png')]
        assert {'table1.csv', 'conover.html'} <= set(links(b))
        assert b.request.get(f'{b.base}/reports/quick/table1.csv').ok
        assert 'PAIR_MARK' in check_page(b, 'reports/quick/conover.html')
        check_page(b, 'index.html')
        assert '/directives.html' in search(b, 'load_split')


def test_a_broken_link_fails_the_build(tmp_path):
    nbs = tmp_path / 'nbs'; nbs.mkdir()
    nbformat.write(home_notebook(), nbs / 'index.ipynb')
    links = new_notebook(cells=[new_markdown_cell('# Links\n\nSee [this](missing.md).')])
    nbformat.write(links, nbs / '01_links.ipynb')
    with pytest.raises(docs.BuildError, match='01_links.ipynb.*missing.md'):
        docs.build(tmp_path / 'site', nbs, tmp_path / 'reports', tmp_path / 'src')


# ----------------------------------------------------------------------------- nbdev_docs, for Quarto users
def test_quarto_files_are_nbdevs():
    import yaml
    q = yaml.safe_load((ROOT / 'nbs' / '_quarto.yml').read_text())
    assert q['project']['type'] == 'website' and q['metadata-files'] == ['nbdev.yml', 'sidebar.yml']
    assert q['format']['html']['css'] == 'styles.css'
    assert (ROOT / 'nbs' / 'styles.css').read_text().count('{') >= 5


@pytest.mark.parametrize('rel', docs.notebooks(ROOT / 'nbs'), ids=str)
def test_nbdev_docs_can_process(rel, monkeypatch):
    """What `nbdev_docs` does to a notebook before Quarto renders it: nbdev's processors, which run the
    exported cells and every cell with an import to make the `show_doc` output. A cell mixing an import with
    code that needs unexported cells breaks it (keep such imports in a cell of their own)."""
    import warnings
    from execnb.nbio import read_nb
    from nbdev.processors import FilterDefaults
    monkeypatch.chdir(ROOT)
    nb = read_nb(ROOT / 'nbs' / rel)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try: FilterDefaults()(nb)
        except Exception as e: pytest.fail(f'nbdev_docs would fail on nbs/{rel}: {e}\n{e.__cause__!r}')
