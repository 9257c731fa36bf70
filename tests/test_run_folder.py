"""One writer per run folder, through the real command line: a second `bioner-kd run` on a folder in use stops at once
naming the first; a lock left by a `kill -9` blocks nothing."""
import json, platform, signal, time

from bioner_kd.grid import run_folder_lock
from helpers import run_cli, start_cli, needs_corpora

pytestmark = needs_corpora


def test_two_runs_on_one_folder(tmp_path):
    out = tmp_path / 'runs'
    args = ('run', '--profile', 'smoke', '--out', str(out), '--only', 'stm-NCBI', '--no-report', '--quiet')
    first = start_cli(*args)
    deadline = time.time() + 120
    while not (out / '.lock').exists() or not (out / '.lock').read_text():
        assert first.poll() is None and time.time() < deadline, first.stdout.read()
        time.sleep(0.1)
    holder = json.loads((out / '.lock').read_text())
    assert holder['pid'] == first.pid and holder['command'] == 'bioner-kd run'
    second = run_cli(*args, timeout=60)                       # stops at once
    assert second.returncode == 1 and 'Traceback' not in second.stderr
    assert (f'the run folder {out} is in use by `bioner-kd run` (host {platform.node()}, PID {first.pid}, '
            f"since {holder['since']})") in second.stderr
    assert first.poll() is None
    first.send_signal(signal.SIGKILL); first.wait()             # its lock goes with it
    third = run_cli(*args, timeout=900)
    assert third.returncode == 0, third.stdout + third.stderr
    assert '1 run now' in third.stdout and (out / 'stm-NCBI-seed2.json').exists()
    with run_folder_lock(out, 'pytest'):                        # with --wait, it waits for the holder to finish
        waiting = start_cli(*args, '--wait')
        assert waiting.stdout.readline().startswith(f'waiting for the run folder {out}, in use by `pytest` (host')
        assert waiting.poll() is None
    log, _ = waiting.communicate(timeout=300)
    assert waiting.returncode == 0 and '0 run now, 1 already done' in log
