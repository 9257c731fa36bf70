"Every notebook in nbs/ is a test item, run the way `nbdev_test` runs it (cells flagged `slow`/`gpu` skipped unless asked)."
import pytest
from nbdev.config import get_config
from nbdev import test as nbdev_test

CFG = get_config()
NBS = CFG.nbs_path


def notebooks():
    "Notebooks under nbs/, except folders starting with '.' or '_' and folders holding a `.notest` file."
    for nb in sorted(NBS.rglob('*.ipynb')):
        rel = nb.relative_to(NBS)
        if any(part.startswith(('.', '_')) for part in rel.parts) or (nb.parent / '.notest').exists(): continue
        yield nb


@pytest.mark.parametrize('nb', list(notebooks()), ids=lambda nb: str(nb.relative_to(NBS)))
def test_notebook(nb, request):
    force = request.config.getoption('--nbflags').split()
    ok, _ = nbdev_test.test_nb(nb, skip_flags=CFG.tst_flags.split(), force_flags=force, basepath=CFG.config_path)
    assert ok, f'{nb.relative_to(NBS)} failed: its traceback is in the captured stderr above'
