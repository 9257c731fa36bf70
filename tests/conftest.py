import json, os, subprocess, sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers import corpora_missing, run_cli, wait_until


def pytest_addoption(parser):
    parser.addoption('--nbflags', default='', help='notebook test flags to run as well, e.g. "slow" or "slow gpu"')


# The long test files, handed out first (their seconds in a CI run on 2 cores): `make test` gives files to its
# workers in this order (`--dist loadfile --no-loadscope-reorder`), so that no long file starts late and runs
# alone at the end. In xdist's own order (most tests first) the one-test quality file started last: pytest took
# 877 s, and 776 s in this order.
LONGEST_FIRST = ('test_quality.py',     # 323: an STM on NCBI's full data, one test
                 'test_grid.py',        # 370: the smoke grid, and what uses it
                 'test_notebooks.py',   # 254
                 'test_grid_resume.py', # 126
                 'test_cli_tag.py')     # 85


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))    # stable: each file keeps its order


@pytest.fixture(scope='session')
def smoke_grid(tmp_path_factory):
    """`bioner-kd run --profile smoke` as a user runs it, once per session: its run folder, report folder, exit status
    and output. The tests that use it are all in tests/test_grid.py, which one worker runs (`--dist loadfile`)."""
    if why := corpora_missing(): pytest.skip(why)
    root = tmp_path_factory.mktemp('smoke-grid')
    out, reports = root / 'runs', root / 'reports'
    p = run_cli('run', '--profile', 'smoke', '--out', str(out), '--reports', str(reports), '--jobs', '2', '--quiet', timeout=1800)
    return SimpleNamespace(out=out, reports=reports, returncode=p.returncode, log=p.stdout + p.stderr)


@pytest.fixture
def dask_cluster(tmp_path):
    """A Dask cluster on 127.0.0.1 as a user starts one: `dask scheduler`, then `worker()` starts a `dask worker` of one
    thread (after `prefix`, a command that runs it) and returns its process. Yields the scheduler's address and `worker`."""
    dask = Path(sys.executable).parent / 'dask'
    env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__UNKNOWN_TASK_DURATION='1h',      # as 06c_grid says
               DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED='False')
    def start(*args, prefix=()):
        procs.append(subprocess.Popen([*prefix, str(dask), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      env=env))
        return procs[-1]
    procs, file = [], tmp_path / 'scheduler.json'
    start('scheduler', '--host', '127.0.0.1', '--port', '0', '--no-dashboard', '--scheduler-file', str(file))
    wait_until(file.exists, 60, 'the Dask scheduler did not start', procs[0])
    address = json.loads(file.read_text())['address']
    yield address, lambda prefix=(): start('worker', address, '--nthreads', '1', '--host', '127.0.0.1', '--no-dashboard',
                                           prefix=prefix)
    for p in reversed(procs): p.kill(); p.wait()

