"""The experiment grid on Dask clusters other than the default: a worker that cannot see the run folder, SLURM where
it runs, and a Jupyter kernel that fails to start. The smoke grid on a cluster of `dask` processes is in test_grid.py."""
import json, os, subprocess, sys
from pathlib import Path

import pytest

from bioner_kd.graph import Node
from bioner_kd.execute import KERNEL_TRIES, NodeFailed, execute_node
from helpers import start_cli, workers_joined, needs_corpora

pytestmark = needs_corpora


def test_a_worker_that_cannot_see_the_run_folder(dask_cluster, tmp_path):
    "A worker whose view of tmp_path is an empty filesystem (a mount namespace): the command stops, submitting nothing."
    if subprocess.run(['unshare', '-m', 'true'], capture_output=True).returncode != 0:
        pytest.skip('unshare -m is not permitted here')
    address, worker = dask_cluster
    worker(prefix=('unshare', '-m', '--propagation', 'private',
                   'sh', '-c', f'mount -t tmpfs none {tmp_path} && exec "$0" "$@"'))
    workers_joined(address, 1)
    out = tmp_path / 'runs'
    p = start_cli('run', '--profile', 'smoke', '--out', str(out), '--scheduler', address, '--only', 'stm-NCBI', '--quiet')
    log, _ = p.communicate(timeout=300)
    assert p.returncode != 0 and f'cannot see the run folder {out}' in log, log
    assert not (out / 'logs').exists()                                  # nothing was submitted


def slurm_runs() -> bool:
    try: return subprocess.run(['sinfo', '-h', '-t', 'idle,mix'], capture_output=True, text=True, timeout=10).stdout != ''
    except (OSError, subprocess.TimeoutExpired): return False


def test_grid_on_slurm(tmp_path):
    "`--cluster slurm` with the shipped configuration, fitted to the SLURM at hand: its partition, no GPU, small jobs."
    # asked here, not at collection: `sinfo` without a controller waits 9 s, and every worker would wait
    if not slurm_runs(): pytest.skip('no SLURM cluster with an idle node here (sinfo)')
    import yaml
    partition = subprocess.run(['sinfo', '-h', '-o', '%R'], capture_output=True, text=True).stdout.split()[0]
    config = yaml.safe_load((Path(__file__).parent.parent / 'bioner_kd' / 'slurm.yaml').read_text())
    config['jobqueue']['slurm'].update({
        'queue': partition, 'cores': 1, 'processes': 1, 'memory': '3GB', 'job-cpu': 1, 'walltime': '00:30:00',
        'job-extra-directives': [], 'job-script-prologue': [f'source {Path(sys.executable).parent}/activate'],
        'local-directory': str(tmp_path), 'log-directory': str(tmp_path), 'scheduler-options': {'host': '127.0.0.1'}})
    (tmp_path / 'dask').mkdir()
    (tmp_path / 'dask' / 'jobqueue.yaml').write_text(yaml.safe_dump(config))
    p = start_cli('run', '--profile', 'smoke', '--out', str(tmp_path / 'runs'), '--cluster', 'slurm', '--jobs', '2',
                  '--only', 'targets-mtm-seed1', '--quiet', env=dict(os.environ, DASK_CONFIG=str(tmp_path / 'dask')))
    log, _ = p.communicate(timeout=900)
    assert p.returncode == 0 and '2 run now, 0 already done, 0 failed' in log, log
    assert list(tmp_path.glob('bioner-kd-*.err'))                       # the workers' logs: they ran as SLURM jobs


@pytest.fixture
def flaky_kernel(tmp_path, monkeypatch):
    """The `python3` Jupyter kernel replaced by one that dies before it answers the first `fails` times it is started:
    `flaky_kernel(fails)` returns a function that counts the starts."""
    spec, count = tmp_path / 'jupyter' / 'kernels' / 'python3', tmp_path / 'starts'
    spec.mkdir(parents=True)
    (tmp_path / 'flaky.py').write_text(
        'import os, sys\nfrom pathlib import Path\n'
        f'count = Path({str(count)!r})\n'
        'n = int(count.read_text()) if count.exists() else 0\ncount.write_text(str(n + 1))\n'
        "if n < int(os.environ['FLAKY_FAILS']): sys.exit(1)\n"
        "os.execv(sys.executable, [sys.executable, '-m', 'ipykernel_launcher', *sys.argv[1:]])\n")
    argv = [sys.executable, str(tmp_path / 'flaky.py'), '-f', '{connection_file}']
    (spec / 'kernel.json').write_text(json.dumps(dict(argv=argv, display_name='flaky', language='python')))
    monkeypatch.setenv('JUPYTER_PATH', str(tmp_path / 'jupyter'))
    def starts(fails: int):
        count.unlink(missing_ok=True); monkeypatch.setenv('FLAKY_FAILS', str(fails))
        return lambda: int(count.read_text())
    return starts


def test_kernel_that_fails_to_start_is_retried(flaky_kernel, tmp_path):
    node = Node('stm-NCBI', 'stm', dict(profile='smoke', dataset='NCBI', seeds=[1]), records=('stm-NCBI-seed1.json',))
    starts = flaky_kernel(KERNEL_TRIES - 1)
    assert execute_node(node, tmp_path / 'ok') == 'stm-NCBI' and node.done(tmp_path / 'ok')
    assert starts() == KERNEL_TRIES
    starts = flaky_kernel(KERNEL_TRIES)                   # it never starts: the node fails with the kernel's error
    with pytest.raises(NodeFailed, match='Kernel died before replying'): execute_node(node, tmp_path / 'never')
    assert starts() == KERNEL_TRIES
    starts = flaky_kernel(0)                              # a cell that raises: not retried
    with pytest.raises(NodeFailed, match="dataset='NCBX'"):
        execute_node(Node('stm-NCBX', 'stm', dict(profile='smoke', dataset='NCBX', seeds=[1])), tmp_path / 'bad')
    assert starts() == 1


def test_node_kernel_allocates_without_dasks_trim_setting(tmp_path, monkeypatch):
    """Dask's nanny gives its workers MALLOC_TRIM_THRESHOLD_=65536, which made training in a node's kernel 1.4-1.7
    times slower (06b_execute): the kernel starts without it, the other settings it inherits kept."""
    spec, seen = tmp_path / 'jupyter' / 'kernels' / 'python3', tmp_path / 'seen'
    spec.mkdir(parents=True)
    (tmp_path / 'probe.py').write_text(        # a kernel that records its environment, then dies
        'import os\n'
        f"open({str(seen)!r}, 'a').write(repr((os.environ.get('MALLOC_TRIM_THRESHOLD_'), "
        "os.environ.get('BIONER_KD_PROBE'))) + '\\n')\n")
    argv = [sys.executable, str(tmp_path / 'probe.py'), '-f', '{connection_file}']
    (spec / 'kernel.json').write_text(json.dumps(dict(argv=argv, display_name='probe', language='python')))
    monkeypatch.setenv('JUPYTER_PATH', str(tmp_path / 'jupyter'))
    monkeypatch.setenv('MALLOC_TRIM_THRESHOLD_', '65536')                # as in a Dask worker
    node = Node('stm-NCBI', 'stm', dict(profile='smoke', dataset='NCBI', seeds=[1]), records=('stm-NCBI-seed1.json',))
    with pytest.raises(NodeFailed, match='Kernel died before replying'):
        execute_node(node, tmp_path / 'out', None, {'BIONER_KD_PROBE': 'kept'})
    assert seen.read_text().splitlines() == [repr((None, 'kept'))] * KERNEL_TRIES
