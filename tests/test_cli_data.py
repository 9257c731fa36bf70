"`bioner-kd data verify` and `data stats` as a user runs them."
import os, shutil

import pandas as pd
import pytest

from bioner_kd import data
from helpers import corpora_missing, run_cli


@pytest.fixture(scope='module')
def shared():
    if why := corpora_missing(): pytest.skip(why)
    return data.local_data_dir()


def test_verify_all_45_files(shared):
    r = run_cli('data', 'verify', '--quiet')
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'all 45 files verified' in r.stdout


def test_stats_equal_the_manifest(shared):
    r = run_cli('data', 'stats', '--quiet')
    assert r.returncode == 0, r.stdout + r.stderr
    manifest = pd.read_csv(shared / 'MANIFEST.tsv', sep='\t')
    manifest = manifest[manifest.split.isin(data.SPLITS)].astype({'sentences': int, 'tokens': int, 'entity_mentions': int})
    printed = {tuple(line.split()[:5]) for line in r.stdout.splitlines()[1:]}
    for m in manifest.itertuples():
        assert (m.dataset, m.split, str(m.sentences), str(m.tokens), str(m.entity_mentions)) in printed
    assert '45 of 45 files match' in r.stdout


def test_verify_reports_problems_and_exits_1(shared, tmp_path):
    for d in ('NCBI', 'ExPTM'): shutil.copytree(shared / d, tmp_path / d)
    (tmp_path / 'NCBI' / 'test.tsv').write_text((shared / 'NCBI' / 'test.tsv').read_text().replace('\tO\n', '\tO \n', 1))
    (tmp_path / 'ExPTM' / 'devel.tsv').unlink()
    env = {**os.environ, 'BIONER_KD_DATA': str(tmp_path)}
    r = run_cli('data', 'verify', '--quiet', '--datasets', 'NCBI,ExPTM', env=env)
    assert r.returncode == 1
    assert '2 problem(s) in 6 files' in r.stdout
    assert 'NCBI/test.tsv' in r.stdout and 'ExPTM/devel.tsv' in r.stdout
