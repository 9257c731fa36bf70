"""Render nbs/index.ipynb to README.md offline, as `nbdev_readme` does with Quarto.

Hidden cells (`#| hide`) are dropped, directive comments never appear, `#| echo: false` cells show only their
output. Markdown outputs are kept as Markdown; other outputs as text. Usage: python docs/readme.py [--check]
"""
import re, sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r'^\s*#\s*\|\s*(.*)$')


def directives(source: str) -> dict:
    "The `#| key: value` directives of a cell."
    out = {}
    for line in source.splitlines():
        m = DIRECTIVE.match(line)
        if m:
            key, _, value = m.group(1).partition(':') if ':' in m.group(1) else (m.group(1), '', '')
            out[key.strip()] = value.strip()
    return out


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
        if cell.cell_type != 'code': continue
        d = directives(cell.source)
        if 'hide' in d or 'default_exp' in d: continue
        code = '\n'.join(l for l in cell.source.splitlines() if not DIRECTIVE.match(l)).strip()
        if code and d.get('echo', 'true').lower() != 'false': parts.append(f'```python\n{code}\n```')
        parts += [md for o in cell.get('outputs', []) if (md := output_markdown(o))]
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
