"""Every notebook in nbs/ is a test item, run the way `nbdev_test` runs it (cells flagged `slow`/`gpu` skipped
unless asked). Without the corpora in `BIONER_KD_DATA`, the notebooks that read them are skipped, saying why: a
test never downloads."""
import pytest
from nbdev.config import get_config
from nbdev import test as nbdev_test

from helpers import corpora_missing

CFG = get_config()
NBS = CFG.nbs_path


# The notebooks that never read a corpus file (their cells work on made-up data); every other one needs them.
WITHOUT_CORPORA = {'01a_crf.ipynb', '02a_options.ipynb', '03_config.ipynb', '03a_fit.ipynb', '03b_records.ipynb',
                   '06_runs.ipynb', '06a_graph.ipynb', '06b_execute.ipynb', '07_cells.ipynb', '07a_tables.ipynb',
                   '07b_stats.ipynb', '07c_figures.ipynb', '07d_analysis.ipynb', '07e_report.ipynb',
                   '08_commands.ipynb', 'index.ipynb'}
NO_DOWNLOAD = 'http://127.0.0.1:9/no-downloads-in-tests'    # where a corpus would come from: nothing listens


def notebooks():
    "Notebooks under nbs/, except folders starting with '.' or '_' and folders holding a `.notest` file."
    for nb in sorted(NBS.rglob('*.ipynb')):
        rel = nb.relative_to(NBS)
        if any(part.startswith(('.', '_')) for part in rel.parts) or (nb.parent / '.notest').exists(): continue
        yield nb


@pytest.mark.parametrize('nb', list(notebooks()), ids=lambda nb: str(nb.relative_to(NBS)))
def test_notebook(nb, request, monkeypatch):
    rel, why = str(nb.relative_to(NBS)), corpora_missing()
    if why and rel not in WITHOUT_CORPORA: pytest.skip(f'{rel} reads the corpora: {why}')
    if why: monkeypatch.setenv('BIONER_KD_DATA_URL', NO_DOWNLOAD)    # reading one after all: an error, no download
    force = request.config.getoption('--nbflags').split()
    ok, _ = nbdev_test.test_nb(nb, skip_flags=CFG.tst_flags.split(), force_flags=force, basepath=CFG.config_path)
    assert ok, f'{nb.relative_to(NBS)} failed: its traceback is in the captured stderr above'
