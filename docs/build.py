"""Build the docs site offline: the notebooks of nbs/ (with their stored outputs), their API and reports/, as HTML.

    python docs/build.py [--site DIR] [--src DIR] [--reports DIR]      (`make docs`)

Each notebook becomes a Markdown page the way nbdev + Quarto would show it: hidden cells absent, directive comments
removed, a `show_doc` for every exported function and class, outputs as stored (nothing is executed). The home page is
README.md's rendering of nbs/index.ipynb; the Results page gathers reports/<profile>/. MkDocs (Material theme) then
turns the pages into the site, with navigation and search. Why this builder: docs/BUILDING.md.
"""
import argparse, ast, base64, configparser, html, importlib, json, logging, re, shutil, sys, time
from pathlib import Path

import nbformat

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS))
import nbmd, readme   # noqa: E402

from markdown.extensions.toc import slugify   # noqa: E402  (the heading ids MkDocs gives)


class BuildError(Exception): "A notebook or report that cannot be made into a page."


def settings() -> configparser.SectionProxy:
    cp = configparser.ConfigParser(delimiters=['='])
    cp.read(ROOT / 'settings.ini', encoding='utf-8')
    return cp['DEFAULT']


CFG = settings()
LIB = CFG.get('lib_name', 'bioner_kd')


# ---------------------------------------------------------------------------------------------------------- pages
def page_path(rel: Path) -> Path:
    "nbdev's page name for a notebook: lower case, without its number prefix (`00_data.ipynb` -> `data`)."
    return rel.with_name(re.sub(r'^\d+[a-zA-Z0-9]*_', '', rel.name.lower())).with_suffix('.md')


def notebooks(nbs: Path) -> list:
    "The notebooks that are pages, in reading order: index first, then by file name; folders after, each a section."
    found = [p.relative_to(nbs) for p in nbs.rglob('*.ipynb')
             if not any(part.startswith(('.', '_')) for part in p.relative_to(nbs).parts)]
    return sorted(found, key=lambda r: (len(r.parts) > 1, r.parent.as_posix(), r.stem != 'index', r.name))


def title_cell(nb) -> tuple:
    """(title, description, frontmatter, index of the first cell of the body) from the nbdev header: a first markdown
    cell `# Title`, `> description` and `- key: value` lines, or a raw cell with YAML front matter."""
    fm, title, desc = {}, None, None
    for i, cell in enumerate(nb.cells):
        src = cell.source.strip()
        if not src: continue
        if cell.cell_type == 'raw' and src.startswith('---'):
            import yaml
            fm = yaml.safe_load(src.strip('-')) or {}
            return fm.get('title'), fm.get('description'), fm, i + 1
        if cell.cell_type == 'markdown' and src.startswith('# '):
            lines, rest = src.splitlines(), []
            title = lines[0][2:].strip()
            for line in lines[1:]:
                if line.startswith('>') and desc is None: desc = line.lstrip('> ').strip()
                elif line.startswith('>') and not rest: desc += ' ' + line.lstrip('> ').strip()
                elif (m := re.match(r'^-\s+(\w+):\s*(.*)$', line)) and not rest: fm[m.group(1)] = m.group(2)
                elif line.strip() or rest: rest.append(line)
            if rest: nb.cells[i].source = '\n'.join(rest)
            return title, desc, fm, i + (not rest)
        break
    return None, None, fm, 0


class Page:
    def __init__(self, nbs: Path, rel: Path):
        self.rel, self.md = rel, page_path(rel)
        self.nb = nbformat.read(nbs / rel, as_version=4)
        self.title, self.description, self.fm, self.body = title_cell(self.nb)
        self.title = self.title or rel.stem
        self.section = rel.parts[0].replace('_', ' ').capitalize() if len(rel.parts) > 1 else None
        self.default_exp = next((d['default_exp'].split()[0] for c in self.nb.cells if c.cell_type == 'code'
                                 for d in [nbmd.directives(c.source)] if d.get('default_exp')), None)

    def rel_to(self, target: Path) -> str:
        "Link from this page to `target` (a path under the site's root)."
        up = len(self.md.parts) - 1
        return '../' * up + target.as_posix() if up else target.as_posix()


# ---------------------------------------------------------------------------------------------------------- API docs
_DEF_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _parsed(source: str):
    try: return ast.parse(nbmd.visible_source(source))
    except SyntaxError: return None             # magics and shell escapes: nothing nbdev would document either


def exported_names(cell) -> list:
    "The names nbdev's `add_show_docs` documents after an exported cell: its public top-level functions and classes."
    d = nbmd.directives(cell.source)
    if cell.cell_type != 'code' or not ({'export', 'exports'} & set(d)) or nbmd.cell_view(cell) is None: return []
    tree = _parsed(cell.source)
    if tree is None: return []
    from nbdev.showdoc import showdoc_nm
    return [showdoc_nm(o) for o in tree.body
            if isinstance(o, _DEF_TYPES) and (not o.name.startswith('_') or o.name.startswith('__'))]


def showdoc_calls(source: str) -> list:
    "The `show_doc(name, **literal kwargs)` calls of a cell, as (name, kwargs)."
    tree = _parsed(source) if nbmd.SHOWDOC.search(source) else None
    calls = []
    for node in (ast.walk(tree) if tree else []):
        if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'show_doc' and node.args:
            try: kw = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
            except ValueError: kw = {}
            calls.append((ast.unparse(node.args[0]), kw))
    return calls


def shown_names(nb) -> set:
    "Names the notebook documents itself with `show_doc(name)`."
    return {name for c in nb.cells if c.cell_type == 'code' for name, _ in showdoc_calls(c.source)}


_HEADING = re.compile(r'^(#{1,6})\s+(.+?)\s*$')
_SRC_LINK = re.compile(r'\]\(([^)\s]*/blob/[^/)]+/([^)#\s]+))#L(None|\d*)\)')


def _def_lines(path: Path) -> dict:
    "Line numbers of the functions, classes and methods of a module, by name (`Class.method` for methods)."
    try: tree = ast.parse(path.read_text(encoding='utf-8'))
    except (OSError, SyntaxError): return {}
    out = {}
    for node in tree.body:
        if isinstance(node, _DEF_TYPES):
            out[node.name] = node.lineno
            if isinstance(node, ast.ClassDef):
                out.update({f'{node.name}.{n.name}': n.lineno for n in node.body if isinstance(n, _DEF_TYPES)})
    return out


def showdoc_markdown(md: str) -> tuple:
    """A `show_doc` output made ready for the page: the source link points at the line (nbdev 2.4 writes `#LNone`),
    underscores in the heading are not emphasis. Returns (markdown, the documented names)."""
    lines, names = md.strip().split('\n'), []
    for i, line in enumerate(lines):
        if (h := _HEADING.match(line)) and not line.startswith('#' * 7):
            name = h.group(2).replace('\\_', '_')
            names.append(name)
            lines[i] = f'{h.group(1)} ' + name.replace('_', '\\_')
            for j in range(i - 1, max(i - 4, -1), -1):      # the [source](...) link just above the heading
                if (m := _SRC_LINK.search(lines[j])) and m.group(3) in ('None', ''):
                    line_no = _def_lines(ROOT / m.group(2)).get(name.split('.', 1)[-1] if name.count('.') > 1 else name)
                    url = m.group(1) + (f'#L{line_no}' if line_no else '')
                    lines[j] = lines[j][:m.start()] + f']({url})' + lines[j][m.end():]
    return '\n'.join(lines), names


def generated_showdoc(module: str, name: str, page: Page, strict: bool = True, **kwargs) -> str:
    """The markdown of `show_doc(name)` for a name of `module`, from the installed package (nothing is executed).
    A name that is not there is an error if it is exported (`strict`), else (a `show_doc` of a notebook-only name) ''."""
    from nbdev.showdoc import show_doc
    try:
        obj = importlib.import_module(f'{LIB}.{module}')
        for part in name.split('.'): obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        if not strict: return ''
        raise BuildError(f'nbs/{page.rel}: `{name}` is exported to {LIB}.{module} but cannot be imported from it ({e}); '
                         'run nbdev_export') from e
    r = show_doc(obj, **kwargs)
    md = r._repr_markdown_() if r is not None and hasattr(r, '_repr_markdown_') else ''
    if not (getattr(obj, '__doc__', None) or '').strip():      # no docstring: not the docstring of `__call__`
        md = md.replace('*Call self as a function.*', '')
    return md


# ---------------------------------------------------------------------------------------------------------- markdown
_LINK = re.compile(r'(!?\[[^\]]*\]\()(<[^>]+>|[^)\s]+)(\s+"[^"]*")?\)')
_REFDEF = re.compile(r'^(\s{0,3}\[[^\]]+\]:\s*)(\S+)', re.MULTILINE)
_HTML_REF = re.compile(r'\b(src|href)="([^"#:][^"]*)"')
_BACKTICK = re.compile(r'(!?\[[^\]\n]*\]\([^)\n]*\))|(?<![`\[])`([^`\n]+)`(?![`\]])')   # a link as a whole, or `code`


def prose_map(text: str, fn) -> str:
    "Apply `fn` to the parts of Markdown outside fenced code blocks."
    out, buf, fence = [], [], None
    def flush():
        if buf: out.append(fn('\n'.join(buf)))
        buf.clear()
    for line in text.split('\n'):
        m = nbmd.FENCE.match(line)
        if fence is None and m:
            flush(); fence = m.group(1); out.append(line); continue
        if fence is not None:
            out.append(line)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and line.strip() == m.group(1)[0] * len(line.strip()):
                fence = None
            continue
        buf.append(line)
    flush()
    return '\n'.join(out)


def is_relative(url: str) -> bool:
    return bool(url) and not re.match(r'^([a-zA-Z][a-zA-Z0-9+.-]*:|/|#)', url)


def rewrite_links(text: str, fn) -> str:
    "Rewrite the relative link targets of Markdown (and of its raw HTML) with `fn(target) -> target`."
    def one(url):
        bare = url.strip('<>')
        if not is_relative(bare): return url
        path, _, frag = bare.partition('#')
        new = fn(path)
        return url if new is None else new + (f'#{frag}' if frag else '')
    def prose(t):
        t = _LINK.sub(lambda m: m.group(1) + one(m.group(2)) + (m.group(3) or '') + ')', t)
        t = _REFDEF.sub(lambda m: m.group(1) + one(m.group(2)), t)
        return _HTML_REF.sub(lambda m: f'{m.group(1)}="{one(m.group(2))}"', t)
    return prose_map(text, prose)


class Site:
    def __init__(self, nbs: Path, src: Path, reports: Path):
        self.nbs, self.src, self.reports = nbs, src, reports
        self.pages = [Page(nbs, rel) for rel in notebooks(nbs)]
        if not self.pages or self.pages[0].rel != Path('index.ipynb'): raise BuildError(f'{nbs}/index.ipynb is missing')
        self.by_nb = {p.rel: p for p in self.pages}
        names = [p.md for p in self.pages]
        if len(set(names)) != len(names) or Path('results.md') in names:
            raise BuildError(f'two notebooks give the same page name: {sorted(str(n) for n in names)}')
        self.symbols = self._symbols()

    # --- the documented names of every page, for links from `name` in prose
    def _symbols(self) -> dict:
        found = {}
        for p in self.pages:
            names = set()
            for c in p.nb.cells:
                names.update(exported_names(c))
                if c.cell_type == 'code' and (calls := showdoc_calls(c.source)):
                    names.update(n for n, _ in calls)
            for n in names:
                mod = p.default_exp
                keys = {n} | ({f'{mod}.{n}', f'{LIB}.{mod}.{n}'} if mod else set())
                for k in keys: found.setdefault(k, []).append((p.md, slugify(n, '-')))
        return {k: v[0] for k, v in found.items() if len(v) == 1}

    def linkify(self, text: str, page: Page) -> str:
        "Documented names in backticks link to their documentation, as nbdev's `add_links` does."
        def one(m):
            if m.group(1): return m.group(0)                 # already a link: leave its text alone
            name = m.group(2).strip()
            name = name[:-2] if name.endswith('()') else name
            if name not in self.symbols: return m.group(0)
            md, anchor = self.symbols[name]
            target = '' if md == page.md else page.rel_to(md)
            return f'[{m.group(0)}]({target}#{anchor})'
        def prose(t):
            return '\n'.join(l if _HEADING.match(l) else _BACKTICK.sub(one, l) for l in t.split('\n'))
        return prose_map(text, prose)

    def local_links(self, text: str, page: Page, base: Path) -> str:
        """Links relative to the notebook: `x.ipynb` to its page; files beside the notebooks copied into the site;
        the reports' Markdown to the Results page; files elsewhere in the repository copied (or, for Markdown files, linked
        on the repository's host)."""
        def fn(path):
            target = (base / path).resolve()
            try: in_nbs = target.relative_to(self.nbs.resolve())
            except ValueError: in_nbs = None
            if in_nbs is not None and in_nbs in self.by_nb: return page.rel_to(self.by_nb[in_nbs].md)
            if not target.is_file(): return None
            if in_nbs is not None and target.suffix != '.md':
                self.copy(target, in_nbs); return page.rel_to(in_nbs)
            try: in_repo = target.relative_to(ROOT)
            except ValueError: return None
            if target.suffix == '.md' and target.is_relative_to(self.reports.resolve()):
                return page.rel_to(Path('results.md'))          # the reports are on the Results page
            if target.suffix == '.md' or target.suffix == '.ipynb':
                return f"{CFG.get('git_url')}/blob/{CFG.get('branch', 'main')}/{in_repo.as_posix()}"
            self.copy(target, Path('files') / in_repo); return page.rel_to(Path('files') / in_repo)
        return rewrite_links(text, fn)

    def copy(self, source: Path, rel: Path):
        dest = self.src / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)

    # --- one notebook page
    def asset(self, page: Page, name: str, data: bytes) -> str:
        "Write a file of the page (an image output, an attachment); its link from the page."
        folder = page.md.with_name(page.md.stem + '_files')
        (self.src / folder).mkdir(parents=True, exist_ok=True)
        (self.src / folder / name).write_bytes(data)
        return folder.name + '/' + name

    def output_html(self, page: Page, out, key: str, doc: bool = False) -> str:
        kind = out.output_type
        if kind == 'stream':
            text = nbmd.clean_stream(out.text)
            return text and f'<div class="nb-output nb-{out.name}"><pre>{html.escape(text)}</pre></div>'
        if kind == 'error':
            text = nbmd.clean_stream('\n'.join(out.get('traceback', [])) or f"{out.ename}: {out.evalue}")
            return f'<div class="nb-output nb-error"><pre>{html.escape(text)}</pre></div>'
        data = out.get('data', {})
        if 'application/vnd.jupyter.widget-view+json' in data: return ''     # a widget (a progress bar): no state
        if 'text/markdown' in data: return self.markdown_output(data['text/markdown'], page, doc)
        if 'text/html' in data:
            body = data['text/html'] if isinstance(data['text/html'], str) else ''.join(data['text/html'])
            return f'<div class="nb-output nb-html">\n{body.strip()}\n</div>'
        for mime, ext in (('image/png', 'png'), ('image/jpeg', 'jpg'), ('image/gif', 'gif'), ('image/svg+xml', 'svg')):
            if mime in data:
                raw = data[mime].encode() if ext == 'svg' else base64.b64decode(data[mime])
                src = self.asset(page, f'{key}.{ext}', raw)
                alt = html.escape(data.get('text/plain', '').strip()[:100], quote=True)
                return f'<div class="nb-output nb-image"><img src="{src}" alt="{alt}"></div>'
        if 'text/latex' in data: return f'<div class="nb-output" markdown>\n\n{data["text/latex"].strip()}\n\n</div>'
        if 'text/plain' in data:
            return f'<div class="nb-output nb-text"><pre>{html.escape(nbmd.clean_stream(data["text/plain"]))}</pre></div>'
        return ''

    def markdown_output(self, md: str, page: Page, doc: bool = False) -> str:
        "A Markdown output as is; a `show_doc` output in a box of its own (its leading rule dropped)."
        md = md.strip()
        if not doc: return self.linkify(md, page)
        md, _ = showdoc_markdown(re.sub(r'\A---\s*\n', '', md))
        return f'<div class="nb-doc" markdown>\n\n{self.linkify(md, page)}\n\n</div>'


    def render(self, page: Page) -> str:
        cells, parts = page.nb.cells, []
        shown = shown_names(page.nb)
        skip_showdoc = str(page.fm.get('skip_showdoc', '')).lower() == 'true'
        for i, cell in enumerate(cells[page.body:], start=page.body):
            if cell.cell_type == 'markdown':
                text = cell.source
                for name, att in (cell.get('attachments') or {}).items():
                    mime, b64 = next(iter(att.items()))
                    text = text.replace(f'attachment:{name}', self.asset(page, f'cell{i}_{name}', base64.b64decode(b64)))
                text = self.local_links(text, page, (self.nbs / page.rel).parent)
                parts.append(self.linkify(nbmd.normalize_markdown(text.strip()), page))
                continue
            if cell.cell_type != 'code' or (view := nbmd.cell_view(cell)) is None: continue
            show_code, show_output = view
            code = nbmd.visible_source(cell.source)
            d = nbmd.directives(cell.source)
            docs = []
            if not skip_showdoc:
                module = (d.get('export') or d.get('exports') or page.default_exp or '').split()[0:1]
                for name in exported_names(cell):
                    if name in shown: continue
                    if not module: raise BuildError(f'nbs/{page.rel}: an exported cell but no `#| default_exp`')
                    docs.append(self.markdown_output(generated_showdoc(module[0], name, page), page, doc=True))
            if 'exports' in d: parts += docs; docs = []            # nbdev: the doc first, then the exported source
            if code.strip() and show_code: parts.append(nbmd.fenced(code, 'python'))
            outputs = cell.get('outputs', [])
            calls = showdoc_calls(cell.source)
            if calls and show_output and not any('text/markdown' in o.get('data', {}) for o in outputs) and page.default_exp:
                # a show_doc whose output was not stored: nbdev_docs runs it; here it is made from the package
                parts += [self.markdown_output(md, page, doc=True) for name, kw in calls
                          if (md := generated_showdoc(page.default_exp, name, page, strict=False, **kw))]
            elif show_output:
                parts += [h for k, o in enumerate(outputs) if (h := self.output_html(page, o, f'cell{i}_out{k}', bool(calls)))]
            parts += docs
        head = [f'# {page.title}']
        if page.description: head.append(f'{page.description}\n{{: .nbdev-description }}')
        meta = '---\n' + ''.join(f'{k}: {json.dumps(plain(v))}\n' for k, v in (('title', page.title), ('description', page.description)) if v) + '---\n\n'
        return meta + '\n\n'.join(p for p in head + parts if p and p.strip()) + '\n'

    def home(self) -> str:
        "The home page: README.md's text, which is the rendering of nbs/index.ipynb."
        text = readme.render(self.nbs / 'index.ipynb')
        return self.local_links(nbmd.normalize_markdown(text), self.pages[0], ROOT)   # README.md's links are from the root

    # --- reports
    def results(self) -> str:
        parts = ['# Results']
        top = self.reports / 'README.md'
        if top.is_file():
            body = re.sub(r'\A\s*#\s[^\n]*\n', '', top.read_text(encoding='utf-8'))
            parts.append(nbmd.normalize_markdown(body.strip()))
        profiles = sorted(p for p in self.reports.iterdir() if p.is_dir() and not p.name.startswith(('.', '_'))
                          and any(f.is_file() for f in p.rglob('*'))) if self.reports.is_dir() else []
        if not profiles:
            parts.append('!!! note "No reports yet"\n\n    No results have been generated yet: `make reproduce` runs the '
                         '`quick` profile and writes its tables and figures to `reports/quick/`, which the next '
                         '`make docs` shows here.')
        for profile in profiles: parts += self.profile(profile)
        return '\n\n'.join(parts) + '\n'

    def profile(self, folder: Path) -> list:
        name = folder.name
        files = sorted(f for f in folder.rglob('*') if f.is_file() and not any(s.startswith('.') for s in f.relative_to(folder).parts))
        site_dir = Path('results') / name
        for f in files:
            if f.suffix.lower() != '.md': self.copy(f, site_dir / f.relative_to(folder))
        tables = [f for f in files if f.suffix.lower() == '.md' and f.relative_to(folder) != Path('README.md')]
        anchors = {f.relative_to(folder): f'{slugify(name, "-")}-{slugify(f.relative_to(folder).with_suffix("").as_posix(), "-")}'
                   for f in tables}
        used = set()

        def links(text: str, base: Path) -> str:
            def fn(path):
                target = (base / path).resolve()
                try: rel = target.relative_to(folder.resolve())
                except ValueError: return None
                used.add(rel)
                if rel in anchors: return '#' + anchors[rel]
                return (site_dir / rel).as_posix() if target.is_file() else None
            return rewrite_links(text, fn)

        out = []
        readme_md = folder / 'README.md'
        if readme_md.is_file():
            text = links(nbmd.normalize_markdown(readme_md.read_text(encoding='utf-8').strip()), folder)
            if not re.match(r'\s*# ', text): out.append(f'## Profile `{name}`')
            out.append(demote(text, 1))
        else: out.append(f'## Profile `{name}`')
        if tables: out.append('### Tables' if readme_md.is_file() else '')
        for t in tables:
            rel = t.relative_to(folder)
            text = links(nbmd.normalize_markdown(t.read_text(encoding='utf-8').strip()), t.parent)
            siblings = [f for f in files if f.with_suffix('') == t.with_suffix('') and f != t]
            out.append(f'#### `{rel.as_posix()}` {{ #{anchors[rel]} }}')
            out.append(demote(text, 4))
            if siblings:
                out.append('Also as ' + ', '.join(f'[{f.suffix[1:].upper()}]({(site_dir / f.relative_to(folder)).as_posix()})'
                                                  for f in siblings) + '.')
                used.update(f.relative_to(folder) for f in siblings)
        figures = {}
        for f in files:
            if f.suffix.lower() in ('.png', '.svg', '.jpg', '.jpeg', '.gif') and f.relative_to(folder) not in used:
                figures.setdefault(f.with_suffix(''), []).append(f)
        if figures: out.append('### Figures')
        for stem, fs in figures.items():
            best = min(fs, key=lambda f: ['.png', '.svg', '.jpg', '.jpeg', '.gif'].index(f.suffix.lower()))
            rel = best.relative_to(folder)
            others = [f for f in files if f.with_suffix('') == stem and f != best]
            out.append(f'#### `{rel.as_posix()}`')
            out.append(f'<figure class="report-figure" markdown>\n![{rel.as_posix()}]({(site_dir / rel).as_posix()})\n</figure>')
            if others: out.append('Also as ' + ', '.join(f'[{f.suffix[1:].upper()}]({(site_dir / f.relative_to(folder)).as_posix()})' for f in others) + '.')
            used.update(f.relative_to(folder) for f in fs + others)
        rest = [f for f in files if f.relative_to(folder) not in used and f.suffix.lower() != '.md']
        if rest:
            out.append('### Other files')
            out.append('\n'.join(f'- [`{f.relative_to(folder).as_posix()}`]({(site_dir / f.relative_to(folder)).as_posix()})' for f in rest))
        return [o for o in out if o]

    # --- all of it
    def write(self) -> list:
        "Write the Markdown pages; return MkDocs' navigation."
        if self.src.exists(): shutil.rmtree(self.src)
        self.src.mkdir(parents=True)
        (self.src / 'index.md').write_text(self.home(), encoding='utf-8')
        nav, sections = [{'Home': 'index.md'}], {}
        for page in self.pages[1:]:
            (self.src / page.md).parent.mkdir(parents=True, exist_ok=True)
            (self.src / page.md).write_text(self.render(page), encoding='utf-8')
            entry = {plain(page.title): page.md.as_posix()}
            if page.section is None: nav.append(entry)
            else:
                if page.section not in sections: sections[page.section] = []; nav.append({page.section: sections[page.section]})
                sections[page.section].append(entry)
        (self.src / 'results.md').write_text(self.results(), encoding='utf-8')
        nav.append({'Results': 'results.md'})
        return nav


def plain(md: str) -> str:
    "Inline Markdown as plain text, for the navigation and the page's <title>."
    return re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', md).replace('`', '').replace('**', '').replace('*', '')


def demote(text: str, level: int) -> str:
    "Headings of `text` made at least `level` deep (h1 becomes h`level`...)."
    shift = None
    def fn(t):
        def h(m):
            nonlocal shift
            if shift is None: shift = max(0, level - len(m.group(1)))
            return '#' * min(6, len(m.group(1)) + shift) + m.group(2)
        return re.sub(r'^(#{1,6})(\s)', h, t, flags=re.MULTILINE)
    return prose_map(text, fn)


def build(site: Path, src: Path, reports: Path, nbs: Path = None, quiet: bool = True) -> list:
    "Write the pages into `src` and build the site into `site`; return the navigation."
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort
    nbs = nbs or ROOT / CFG.get('nbs_path', 'nbs')
    nav = Site(nbs, src, reports).write()
    logging.getLogger('mkdocs').setLevel(logging.WARNING if quiet else logging.INFO)
    if not logging.getLogger('mkdocs').handlers:
        h = logging.StreamHandler(); h.setFormatter(logging.Formatter('%(levelname)s - %(message)s'))
        logging.getLogger('mkdocs').addHandler(h)
    class Warnings(logging.Handler):
        def __init__(self): super().__init__(logging.WARNING); self.seen = []
        def emit(self, record): self.seen.append(record.getMessage())
    warnings = Warnings()
    logging.getLogger('mkdocs').addHandler(warnings)
    cfg = load_config(str(DOCS / 'mkdocs.yml'), docs_dir=str(src), site_dir=str(site), nav=nav)
    try: mkdocs_build(cfg)
    except Abort as e: raise BuildError(f'mkdocs: {e}\n' + '\n'.join(warnings.seen)) from e
    finally: logging.getLogger('mkdocs').removeHandler(warnings)
    return nav


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--site', default=str(ROOT / 'site'), help='where the site is written (default: site/)')
    p.add_argument('--src', default=str(ROOT / 'build' / 'docs-src'), help='where the Markdown pages are written')
    p.add_argument('--reports', default=str(ROOT / 'reports'), help='the reports folder shown on the Results page')
    p.add_argument('--verbose', action='store_true')
    a = p.parse_args(argv)
    t = time.time()
    try: nav = build(Path(a.site).resolve(), Path(a.src).resolve(), Path(a.reports).resolve(), quiet=not a.verbose)
    except BuildError as e: sys.exit(f'docs build failed: {e}')
    n = sum(len(next(iter(e.values()))) if isinstance(next(iter(e.values())), list) else 1 for e in nav)
    print(f'built {n} pages into {a.site} in {time.time() - t:.1f}s')


if __name__ == '__main__': main()
