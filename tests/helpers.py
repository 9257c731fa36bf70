"Helpers shared by the test files: the installed command line, a quiet local HTTP server, processes, polling."
import functools, http.server, subprocess, sys, threading, time
from contextlib import contextmanager
from pathlib import Path

import pytest

from bioner_kd import data

CLI = Path(sys.executable).parent / 'bioner-kd'


def corpora_missing() -> str | None:
    "Why the tests that read the corpora cannot run here, or None: they read `BIONER_KD_DATA`, never download."
    root = data.local_data_dir()
    if root is None: return 'BIONER_KD_DATA is not set: the tests that read the corpora need them there'
    files = [f.relpath for c in data.CORPORA.values() for f in c.files.values()]
    absent = [f for f in files if not (root / f).is_file()]
    if absent: return f'BIONER_KD_DATA={root} lacks {len(absent)} of the corpus files (e.g. {absent[0]})'
    return None


needs_corpora = pytest.mark.skipif(corpora_missing() is not None, reason=str(corpora_missing()))


def start_cli(*args, **kw) -> subprocess.Popen:
    "Start the installed `bioner-kd` console script, its output merged into one text pipe."
    return subprocess.Popen([str(CLI), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def run_cli(*args, **kw) -> subprocess.CompletedProcess:
    "Run the installed `bioner-kd` console script to the end, capturing its output."
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, **kw)


@contextmanager
def serve(directory: Path):
    "Serve `directory` on 127.0.0.1 (a free port) without an access log; yields the base URL."
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try: yield f'http://127.0.0.1:{server.server_address[1]}'
    finally: server.shutdown(); server.server_close()


def wait_until(condition, timeout: float, message: str, proc: subprocess.Popen | None = None):
    "Poll `condition` until it is true; fail with `message` after `timeout` seconds, or at once if `proc` has exited."
    deadline = time.time() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout else ''
            raise AssertionError(f'{message}: the command exited with {proc.returncode}\n{output}')
        if time.time() > deadline: raise AssertionError(f'{message} within {timeout}s')
        time.sleep(0.2)


def descendants(pid: int) -> set:
    "The processes started, directly or not, by `pid` (Dask workers, Jupyter kernels)."
    rows = [l.split() for l in subprocess.run(['ps', '-eo', 'pid=,ppid='], capture_output=True, text=True).stdout.splitlines()]
    children, found = {}, set()
    for p, pp in rows: children.setdefault(int(pp), []).append(int(p))
    todo = [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in found: found.add(c); todo.append(c)
    return found


def alive(pids: set) -> set:
    "Those of `pids` that are still running (zombies are not)."
    def running(pid):
        try: return 'Z' not in Path(f'/proc/{pid}/stat').read_text().split(')')[-1][:3]
        except OSError: return False
    return set(filter(running, pids))


def workers_joined(address: str, n: int):
    "Wait until `n` workers have joined the Dask scheduler at `address`."
    from distributed import Client
    with Client(address, timeout=30) as client: client.wait_for_workers(n, timeout=120)
