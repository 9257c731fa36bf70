"Helpers shared by the test files: the installed command line, a quiet local HTTP server, polling with a deadline."
import functools, http.server, subprocess, sys, threading, time
from contextlib import contextmanager
from pathlib import Path

CLI = Path(sys.executable).parent / 'bioner-kd'


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
            raise AssertionError(f'{message}: the command exited with {proc.returncode}\n{proc.stdout.read() if proc.stdout else ""}')
        if time.time() > deadline: raise AssertionError(f'{message} within {timeout}s')
        time.sleep(0.2)
