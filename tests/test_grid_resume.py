"""The experiment grid interrupted (SIGINT, kill -9) and resumed, and with a run that fails."""
import json, signal, subprocess
from pathlib import Path

import pytest

from bioner_kd.graph import build_grid
from bioner_kd.grid import run_grid, select
from bioner_kd.config import get_profile
from helpers import alive, descendants, start_cli, wait_until, needs_corpora

pytestmark = needs_corpora


def records(out: Path) -> dict:
    "Every record under `out` with its modification time; each must be valid JSON."
    found = {}
    for p in sorted(out.glob('*.json')) + sorted((out / 'targets').glob('*.json')):
        json.loads(p.read_text())
        found[str(p.relative_to(out))] = p.stat().st_mtime_ns
    return found


def leftovers(out: Path) -> list:
    "Temporary files of interrupted atomic writes."
    return [str(p) for p in out.rglob('*.part')] + [str(p) for p in (out / 'targets').glob('.*') if p.is_dir()]


@pytest.mark.parametrize('how', [signal.SIGINT, signal.SIGKILL], ids=['sigint', 'kill-9'])
def test_interrupted_grid_resumes_without_redoing(tmp_path, how):
    out = tmp_path / 'grid'
    args = ('run', '--profile', 'smoke', '--out', str(out), '--only', 'stm-*', '--jobs', '1', '--quiet')
    p = start_cli(*args)
    wait_until(lambda: list(out.glob('stm-*-seed1.json')), 300, 'no record written', p)    # the first one: stop mid-way
    workers = descendants(p.pid)
    assert workers                                                  # the Dask workers and a kernel were running
    p.send_signal(how)
    log, _ = p.communicate(timeout=60)
    assert p.returncode != 0
    if how == signal.SIGINT: assert 'INTERRUPTED' in log
    wait_until(lambda: not alive(workers), 30, 'the workers and kernels outlived the command')
    before = records(out)                                           # all valid JSON
    assert leftovers(out) == []
    assert 0 < len(before) < 6
    p = start_cli(*args)
    log, _ = p.communicate(timeout=600)
    assert p.returncode == 0, log
    after = records(out)
    assert len(after) == 6                                          # 3 datasets x 2 seeds
    assert all(after[r] == t for r, t in before.items())           # finished runs were not redone


def test_failed_run_is_reported_and_the_rest_complete(tmp_path, capsys):
    out = tmp_path / 'grid'
    nodes = select(build_grid(get_profile('smoke')), 'stm-*')
    broken = next(n for n in nodes if n.name == 'stm-ExPTM')
    broken.params['dataset'] = 'ExPTMM'
    res = run_grid('smoke', out=out, nodes=nodes, jobs=2, progress=False)
    assert not res.ok
    assert list(res.failed) == ['stm-ExPTM']
    notebook, error = res.failed['stm-ExPTM']
    assert "dataset='ExPTMM'" in error
    assert "dataset='ExPTMM': expected one of the 15 corpora" in Path(notebook).read_text()   # the traceback is there
    assert sorted(res.done) == ['stm-BioNLP13GE', 'stm-NCBI']
    assert 'FAILED stm-ExPTM' in res.summary() and notebook in res.summary()
