from types import SimpleNamespace

import pytest

from bioner_kd import data
from helpers import run_cli


def pytest_addoption(parser):
    parser.addoption('--nbflags', default='', help='notebook test flags to run as well, e.g. "slow" or "slow gpu"')


@pytest.fixture(scope='session')
def smoke_grid(tmp_path_factory):
    """`bioner-kd run --profile smoke` as a user runs it, once per session: its run folder, report folder, exit status
    and output. The tests that use it are all in tests/test_grid.py, which one worker runs (`--dist loadfile`)."""
    if data.local_data_dir() is None: pytest.skip('BIONER_KD_DATA is not set')
    root = tmp_path_factory.mktemp('smoke-grid')
    out, reports = root / 'runs', root / 'reports'
    p = run_cli('run', '--profile', 'smoke', '--out', str(out), '--reports', str(reports), '--jobs', '2', '--quiet', timeout=1800)
    return SimpleNamespace(out=out, reports=reports, returncode=p.returncode, log=p.stdout + p.stderr)
