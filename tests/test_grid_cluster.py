"""The experiment grid on a Dask cluster that the test starts itself (`dask scheduler` and two `dask worker` processes on
127.0.0.1), as a user would: one worker killed mid-run; a worker that cannot see the run folder; kernels that fail to start."""
import json, os, signal, subprocess, sys, time
from pathlib import Path

import pytest

from bioner_kd import data
from bioner_kd.grid import KERNEL_TRIES, Node, NodeFailed, build_grid, execute_node, run_grid, select
from bioner_kd.train import get_profile
from helpers import start_cli, wait_until
from test_grid_resume import alive, descendants

pytestmark = pytest.mark.skipif(data.local_data_dir() is None, reason='BIONER_KD_DATA is not set')
BIN = Path(sys.executable).parent


def dask(*args, prefix=(), **kw) -> subprocess.Popen:
    return subprocess.Popen([*prefix, str(BIN / 'dask'), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


@pytest.fixture
def cluster(tmp_path):
    "A scheduler on 127.0.0.1 and a function that starts a one-thread worker for it; everything is stopped at the end."
    file = tmp_path / 'scheduler.json'
    procs = [dask('scheduler', '--host', '127.0.0.1', '--port', '0', '--no-dashboard', '--scheduler-file', str(file))]
    wait_until(file.exists, 60, 'the scheduler did not start')
    address = json.loads(file.read_text())['address']
    def worker(prefix=()):
        procs.append(dask('worker', address, '--nthreads', '1', '--host', '127.0.0.1', '--no-dashboard', prefix=prefix))
        return procs[-1]
    yield address, worker
    for p in reversed(procs):
        p.kill(); p.wait()


def workers_joined(address: str, n: int):
    from distributed import Client
    with Client(address, timeout=30) as client: client.wait_for_workers(n, timeout=120)


def test_smoke_grid_on_a_cluster_survives_a_killed_worker(cluster, tmp_path):
    address, worker = cluster
    victim, _ = worker(), worker()
    workers_joined(address, 2)
    out = tmp_path / 'runs'
    p = start_cli('run', '--profile', 'smoke', '--out', str(out), '--scheduler', address, '--no-report', '--quiet')
    # mid-run: both workers on a node, and the victim's kernel started
    wait_until(lambda: len(list((out / 'logs').glob('*.params.json'))) >= 2 and len(descendants(victim.pid)) >= 2, 300,
               'the grid did not start on both workers', p)
    doomed = descendants(victim.pid) | {victim.pid}
    victim.send_signal(signal.SIGKILL)
    wait_until(lambda: not alive(doomed), 30, 'the killed worker left processes behind')
    log, _ = p.communicate(timeout=1800)
    nodes = build_grid(get_profile('smoke'))
    assert p.returncode == 0, log
    assert f'{len(nodes)} run now, 0 already done, 0 failed' in log
    assert 'started again on' in log                                  # the node the victim ran, run on the other worker
    assert all(n.done(out) for n in nodes)


def test_a_worker_that_cannot_see_the_run_folder(cluster, tmp_path):
    "A worker whose /tmp is not ours (its own mount namespace): the command says so and submits nothing."
    if subprocess.run(['unshare', '-m', 'true'], capture_output=True).returncode != 0:
        pytest.skip('unshare -m is not permitted here')
    address, worker = cluster
    worker(prefix=('unshare', '-m', '--propagation', 'private', 'sh', '-c', f'mount -t tmpfs none {tmp_path} && exec "$0" "$@"'))
    workers_joined(address, 1)
    out = tmp_path / 'runs'
    p = start_cli('run', '--profile', 'smoke', '--out', str(out), '--scheduler', address, '--only', 'stm-NCBI', '--quiet')
    log, _ = p.communicate(timeout=300)
    assert p.returncode != 0 and f'cannot see the run folder {out}' in log, log
    assert not (out / 'logs').exists()                                  # nothing was submitted


@pytest.fixture
def flaky_kernel(tmp_path, monkeypatch):
    "The `python3` Jupyter kernel replaced by one that dies before it answers the first `fails` times it is started."
    spec, count = tmp_path / 'jupyter' / 'kernels' / 'python3', tmp_path / 'starts'
    spec.mkdir(parents=True)
    (tmp_path / 'flaky.py').write_text(
        'import os, sys\nfrom pathlib import Path\n'
        f'count = Path({str(count)!r}); n = int(count.read_text()) if count.exists() else 0; count.write_text(str(n + 1))\n'
        "if n < int(os.environ['FLAKY_FAILS']): sys.exit(1)\n"
        "os.execv(sys.executable, [sys.executable, '-m', 'ipykernel_launcher', *sys.argv[1:]])\n")
    (spec / 'kernel.json').write_text(json.dumps(dict(argv=[sys.executable, str(tmp_path / 'flaky.py'), '-f', '{connection_file}'],
                                                      display_name='flaky', language='python')))
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
    starts = flaky_kernel(KERNEL_TRIES)                                   # never starts: the node fails with the kernel's error
    with pytest.raises(NodeFailed, match='Kernel died before replying'): execute_node(node, tmp_path / 'never')
    assert starts() == KERNEL_TRIES
    starts = flaky_kernel(0)                                              # a cell that raises is not retried
    with pytest.raises(NodeFailed, match="dataset='NCBX'"):
        execute_node(Node('stm-NCBX', 'stm', dict(profile='smoke', dataset='NCBX', seeds=[1])), tmp_path / 'bad')
    assert starts() == 1


def slurm_runs() -> bool:
    try: return subprocess.run(['sinfo', '-h', '-t', 'idle,mix'], capture_output=True, text=True, timeout=10).stdout.strip() != ''
    except (OSError, subprocess.TimeoutExpired): return False


@pytest.mark.skipif(not slurm_runs(), reason='no SLURM cluster with an idle node here (sinfo)')
def test_grid_on_slurm(tmp_path):
    "`--cluster slurm` with the shipped configuration, fitted to this SLURM: a partition of its own, no GPU, small jobs."
    import yaml
    partition = subprocess.run(['sinfo', '-h', '-o', '%R'], capture_output=True, text=True).stdout.split()[0]
    config = yaml.safe_load((Path(__file__).parent.parent / 'bioner_kd' / 'slurm.yaml').read_text())
    config['jobqueue']['slurm'].update({'queue': partition, 'cores': 1, 'processes': 1, 'memory': '3GB', 'job-cpu': 1,
                                        'walltime': '00:30:00', 'job-extra-directives': [], 'local-directory': str(tmp_path),
                                        'job-script-prologue': [f'source {BIN}/activate'], 'log-directory': str(tmp_path),
                                        'scheduler-options': {'host': '127.0.0.1'}})
    (tmp_path / 'dask').mkdir()
    (tmp_path / 'dask' / 'jobqueue.yaml').write_text(yaml.safe_dump(config))
    out = tmp_path / 'runs'
    p = start_cli('run', '--profile', 'smoke', '--out', str(out), '--cluster', 'slurm', '--jobs', '2', '--only', 'targets-mtm-seed1',
                  '--quiet', env=dict(os.environ, DASK_CONFIG=str(tmp_path / 'dask')))
    log, _ = p.communicate(timeout=900)
    assert p.returncode == 0, log
    assert '2 run now, 0 already done, 0 failed' in log
    assert list(tmp_path.glob('bioner-kd-*.err'))                       # the workers ran as SLURM jobs
