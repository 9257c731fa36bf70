"""Render nbs/index.ipynb to README.md offline, as `nbdev_readme` does with Quarto.

Hidden cells (`#| hide`) are dropped, directive comments never appear, `#| echo: false` cells show only their
output. Markdown outputs are kept as Markdown; other outputs as text. The docs site's home page is this same
rendering (docs/build.py). Usage: python docs/readme.py [--check]
"""
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbmd import cell_view, visible_source, fenced   # noqa: E402  (shared with the site)

ROOT = Path(__file__).resolve().parents[1]


def output_markdown(output) -> str:
    if output.output_type == 'stream': return f"```\n{output.text.rstrip()}\n```"
    data = output.get('data', {})
    if 'text/markdown' in data: return data['text/markdown'].strip()
    if 'text/plain' in data: return f"```\n{data['text/plain'].rstrip()}\n```"
    return ''


def render(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for cell in nb.cells:
        if cell.cell_type == 'markdown': parts.append(cell.source.strip()); continue
        if cell.cell_type != 'code' or (view := cell_view(cell)) is None: continue
        show_code, show_output = view
        code = visible_source(cell.source).strip()
        if code and show_code: parts.append(fenced(code, 'python'))
        if show_output: parts += [md for o in cell.get('outputs', []) if (md := output_markdown(o))]
    return '\n\n'.join(p for p in parts if p) + '\n'


def main(argv):
    text = render(ROOT / 'nbs' / 'index.ipynb')
    readme = ROOT / 'README.md'
    if '--check' in argv:
        if not readme.exists() or readme.read_text() != text:
            sys.exit('README.md is not the rendering of nbs/index.ipynb: run `python docs/readme.py`')
        return
    readme.write_text(text)
    print(f'wrote {readme}')


if __name__ == '__main__': main(sys.argv[1:])
