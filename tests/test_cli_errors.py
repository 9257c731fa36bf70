"""Expected errors through the real command line: one message naming the cause, exit status 1 (2 for usage), no
traceback; `--debug` shows it. And leftovers of killed writers removed by the next command."""
import os, re, shutil

import pytest

from bioner_kd import data
from helpers import run_cli, serve, needs_corpora

pytestmark = needs_corpora
STM = ('train', 'stm', '--profile', 'smoke', '--dataset', 'NCBI', '--epochs', '1', '--max-train-sentences', '20', '--quiet')


def short_error(r, status=1) -> str:
    "The error output of a command that failed as expected: one or two lines, no traceback."
    assert r.returncode == status, r.stdout + r.stderr
    assert 'Traceback' not in r.stderr and 1 <= len(r.stderr.strip().splitlines()) <= 2, r.stderr
    return r.stderr


def test_404_names_the_file_and_the_url(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != 'BIONER_KD_DATA'} | {'BIONER_KD_CACHE': str(tmp_path / 'cache')}
    (tmp_path / 'mirror').mkdir()
    with serve(tmp_path / 'mirror') as url:
        r = run_cli(*STM, '--out', str(tmp_path / 'runs'), env=env | {'BIONER_KD_DATA_URL': url}, timeout=300)
        debug = run_cli(*STM, '--out', str(tmp_path / 'runs'), '--debug', env=env | {'BIONER_KD_DATA_URL': url}, timeout=300)
    err = short_error(r)
    m = re.search(rf'cannot download {url}/(\S+) to (\S+): HTTP 404 File not found', err)
    assert m, err
    cf = next(f for c in data.CORPORA.values() for f in c.files.values() if f.mtl_path == m[1])      # a file of the registry
    assert m[2].endswith(cf.relpath)
    assert debug.returncode == 1 and 'Traceback' in debug.stderr and 'DownloadError' in debug.stderr
    assert not [p for p in (tmp_path / 'cache').rglob('*') if p.is_file()]          # nothing half-written


@pytest.mark.parametrize('text,line,says', [('3 2\nfoo 0.1 0.2\nbar 0.3\nbaz 0.4 0.5\n', 3, 'a word and 2 values'),
                                            ('x 2\nfoo 0.1 0.2\n', 1, 'the word2vec header'),
                                            ('5 2\nfoo 0.1 0.2\n', 3, 'vector 2 of the 5 of the header')],
                         ids=['short-vector', 'header', 'count'])
def test_malformed_embeddings_file_names_file_and_line(tmp_path, text, line, says):
    bad = tmp_path / 'vectors.txt'
    bad.write_text(text)
    err = short_error(run_cli(*STM, '--out', str(tmp_path / 'runs'), env=os.environ | {'BIONER_KD_EMBEDDINGS': str(bad)},
                              timeout=300))
    assert f'{bad}:{line}: expected {says}' in err


def test_bad_options_are_usage_errors(tmp_path):
    r = run_cli('run', '--profile', 'huge', '--out', str(tmp_path))
    assert r.returncode == 2 and "invalid choice: 'huge'" in r.stderr and 'Traceback' not in r.stderr
    r = run_cli('train', 'student', '--profile', 'smoke', '--dataset', 'NCBI', '--alpha', '0.5', '--features', 'shared=-1',
                '--out', str(tmp_path))
    assert r.returncode == 2 and "argument --features: '-1': expected a feature weight: a number >= 0" in r.stderr
    r = run_cli('train', 'student', '--profile', 'smoke', '--dataset', 'NCBI', '--alpha', '1.5', '--out', str(tmp_path))
    assert r.returncode == 2 and "argument --alpha: '1.5': expected a number in [0, 1]" in r.stderr
    err = short_error(run_cli(*STM, '--set', 'epochs=0', '--out', str(tmp_path)))
    assert 'epochs=0: expected an integer >= 1' in err
    assert not list(tmp_path.glob('*.json'))


def test_missing_teacher(tmp_path):
    err = short_error(run_cli('train', 'student', '--profile', 'smoke', '--dataset', 'NCBI', '--alpha', '0.5',
                              '--out', str(tmp_path / 'runs'), '--quiet', timeout=300))
    assert f"missing teacher checkpoint(s) {tmp_path / 'runs' / 'mtm-seed1.safetensors'}" in err and 'bioner-kd train mtm' in err


def test_checksum_error_from_train(tmp_path):
    src = data.local_data_dir()
    for d in data.DATASETS: shutil.copytree(src / d, tmp_path / 'data' / d)
    devel = tmp_path / 'data' / 'NCBI' / 'devel.tsv'
    devel.write_text(devel.read_text().replace('\tB-Disease\n', '\tO\n', 1))
    err = short_error(run_cli(*STM, '--out', str(tmp_path / 'runs'), timeout=300,
                              env=os.environ | {'BIONER_KD_DATA': str(tmp_path / 'data'), 'BIONER_KD_CACHE': str(tmp_path / 'cache')}))
    assert f'{devel}: sha256' in err and 'but the registry expects sha256' in err


def test_leftovers_of_killed_writers_are_removed(tmp_path):
    out = tmp_path / 'runs'
    (out / 'targets').mkdir(parents=True)
    left = [out / '.stm-NCBI-seed1.json.k2j3.part', out / 'targets' / '.mtm-seed1.json.x9.part']
    for p in left: p.write_text('')
    (out / 'targets' / '.abc-states.q1.part').mkdir()                    # a killed writer of teacher targets
    r = run_cli(*STM, '--out', str(out), timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not list(out.rglob('*.part')) and (out / 'stm-NCBI-seed1.json').exists()
