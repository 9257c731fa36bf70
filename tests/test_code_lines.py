"The docs show the notebooks' code: every line of a code cell fits in 110 characters, no sideways scrolling."
import json
from nbdev.config import get_config

NBS = get_config().nbs_path
LIMIT = 110


def long_lines(nbs=NBS, limit: int = LIMIT) -> list:
    "'notebook cell line: length' of every code line over `limit` characters in the notebooks under `nbs`."
    found = []
    for nb in sorted(nbs.rglob('*.ipynb')):
        if '.ipynb_checkpoints' in nb.parts: continue
        for cell in json.loads(nb.read_text())['cells']:
            if cell['cell_type'] != 'code': continue
            for i, line in enumerate(''.join(cell['source']).splitlines(), 1):
                if len(line) > limit:
                    found.append(f"{nb.relative_to(nbs)} cell {cell.get('id')} line {i}: {len(line)}")
    return found


def test_code_lines_fit():
    long = long_lines()
    assert not long, f'{len(long)} code lines over {LIMIT} characters:\n' + '\n'.join(long[:20])


def test_finds_a_long_line(tmp_path):
    cell = dict(cell_type='code', id='c1', metadata={}, outputs=[], execution_count=None,
                source=['x = 1\n', 'y = "' + 'a' * LIMIT + '"'])
    nb = dict(cells=[cell], metadata={}, nbformat=4, nbformat_minor=5)
    (tmp_path / 'a.ipynb').write_text(json.dumps(nb))
    assert long_lines(tmp_path) == [f'a.ipynb cell c1 line 2: {LIMIT + 6}']
