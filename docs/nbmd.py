"""What the README and the docs site share: nbdev's cell directives, and the Markdown of notebook cells.

A directive comment (`#| hide`, `#| export`, `#| echo: false` ...) is never shown: the cell it marks is dropped, or shown
without the directive line. `cell_view` says what of a cell a reader sees; `visible_source` is its code without them.
"""
import re

DIRECTIVE = re.compile(r'^\s*#\s*\|(.*)$')
HIDE_LINE = re.compile(r'#\s*\|\s*hide_line\s*$')
SHOWDOC = re.compile(r'^show_doc\b', re.MULTILINE)
ANSI = re.compile(r'\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])')
FENCE = re.compile(r'^\s*(`{3,}|~{3,})')


def directives(source: str) -> dict:
    "The directives of a cell: `#| key: value` (Quarto) and `#| key value` (nbdev) as {key: value}."
    out = {}
    for line in source.splitlines():
        m = DIRECTIVE.match(line)
        if not m or not m.group(1).strip(): continue
        key, _, value = re.match(r'\s*([^\s:]+):?\s*(.*)$', m.group(1)).group(1, 0, 2)
        out[key] = value.strip()
    return out


def _false(d: dict, key: str) -> bool: return d.get(key, '').strip().strip('"\'').lower() == 'false'


def cell_view(cell):
    "None for a cell that is absent from the page, else (show_code, show_output)."
    d = directives(cell.source)
    if 'hide' in d or 'default_exp' in d or _false(d, 'include'): return None
    show_code = not _false(d, 'echo') and not SHOWDOC.search(cell.source)      # nbdev shows a show_doc's output only
    return show_code, not _false(d, 'output')


def visible_source(source: str) -> str:
    "The code of a cell as shown: without directive lines nor lines marked `#| hide_line`."
    return '\n'.join(l for l in source.splitlines() if not DIRECTIVE.match(l) and not HIDE_LINE.search(l)).strip('\n')


def fenced(text: str, lang: str = '') -> str:
    "A fenced code block that `text` cannot close early."
    runs = [len(r) for r in re.findall(r'`{3,}', text)]
    ticks = '`' * max([3] + [r + 1 for r in runs])
    return f'{ticks}{lang}\n{text}\n{ticks}'


def clean_stream(text: str) -> str:
    "Stream text as a terminal would leave it: no ANSI codes, each line only what follows its last carriage return."
    text = ANSI.sub('', text)
    return '\n'.join(l.rstrip('\r').split('\r')[-1] for l in text.split('\n')).rstrip()


_LIST = re.compile(r'^(\s*)([-*+]|\d+[.)])\s+\S')
_CALLOUT = re.compile(r'^:::+\s*\{\s*\.callout-(\w+)([^}]*)\}\s*$')
_KINDS = {'note': 'note', 'tip': 'tip', 'warning': 'warning', 'important': 'danger', 'caution': 'warning'}


def normalize_markdown(text: str) -> str:
    """GitHub-style Markdown for Python-Markdown: a blank line before a list that follows a paragraph, nested list items
    indented the GitHub way (2 or 3 spaces a level) indented 4, and Quarto callouts (`::: {.callout-note}`) made
    admonitions. Fenced code is left as it is."""
    out, fence, prev, in_list, unit, callout = [], None, '', False, None, False
    for line in text.split('\n'):
        m = FENCE.match(line)
        if fence:                                               # inside fenced code: copy, watch for the closing fence
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and line.strip() == m.group(1)[0] * len(line.strip()):
                fence = None
        elif m: fence = m.group(1)
        elif (c := _CALLOUT.match(line.strip())) and not callout:
            title = re.search(r'title\s*=\s*"([^"]*)"', c.group(2))
            kind = _KINDS.get(c.group(1).lower(), 'note')
            out += [f'{"???" if "collapse" in c.group(2) else "!!!"} {kind}' + (f' "{title.group(1)}"' if title else ''), '']
            callout, prev = True, ''; continue
        elif callout and re.fullmatch(r':::+', line.strip()):
            out.append(''); callout, prev = False, ''; continue
        elif lm := _LIST.match(line):
            indent = len(lm.group(1).expandtabs(4))
            if not indent: unit = None
            else:
                unit = unit or indent
                line = ' ' * (4 * max(1, round(indent / unit))) + line.lstrip()
            if prev.strip() and not in_list and not _LIST.match(prev): out.append('')
            in_list = True
        elif line.strip() and not line.startswith((' ', '\t')): in_list, unit = False, None
        out.append('    ' + line if callout and line.strip() else line)
        prev = line
    return '\n'.join(out)
