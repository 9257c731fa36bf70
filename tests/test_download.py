"The download path, for real: an HTTP server on 127.0.0.1 serving a mirror of part of the MTL-2016 `data/` folder."
import shutil
from pathlib import Path

import pytest

from bioner_kd import data
from helpers import corpora_missing, serve

FILES = [('NCBI', 'devel'), ('NCBI', 'test'), ('BioNLP13PC', 'devel')]
TAMPERED = ('ExPTM', 'devel')


@pytest.fixture(scope='module')
def mirror(tmp_path_factory):
    "Serve copies of some corpus files, plus one with a flipped tag, under their MTL-2016 paths."
    root = tmp_path_factory.mktemp('mirror')
    src = data.local_data_dir()
    if why := corpora_missing(): pytest.skip(f'no local copy to serve: {why}')
    for d, s in FILES + [TAMPERED]:
        cf = data.CORPORA[d].files[s]
        (root / cf.mtl_path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / cf.relpath, root / cf.mtl_path)
    cf = data.CORPORA[TAMPERED[0]].files[TAMPERED[1]]
    text = (root / cf.mtl_path).read_text()
    (root / cf.mtl_path).write_text(text.replace('\tB-Protein\n', '\tO\n', 1))
    with serve(root) as url: yield url, root


@pytest.fixture
def cache(tmp_path, monkeypatch):
    "No local data folder, an empty cache."
    monkeypatch.delenv('BIONER_KD_DATA', raising=False)
    monkeypatch.setenv('BIONER_KD_CACHE', str(tmp_path / 'cache'))
    return tmp_path / 'cache'


def cached_files(cache: Path):
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob('*') if p.is_file())


def test_download_verifies_and_caches(mirror, cache):
    url, _ = mirror
    for d, s in FILES:
        path = data.corpus_path(d, s, base_url=url, progress=False)
        assert path.is_relative_to(cache)
        assert data.file_digests(path)[0] == data.CORPORA[d].files[s].sha256
    assert len(data.read_conll(data.corpus_path('NCBI', 'test', base_url=url))) == 940
    assert len(cached_files(cache)) == len(FILES)          # nothing else, no temporary files left behind


def test_tampered_download_is_an_error_and_leaves_nothing(mirror, cache):
    url, _ = mirror
    cf = data.CORPORA[TAMPERED[0]].files[TAMPERED[1]]
    with pytest.raises(data.ChecksumError) as e:
        data.corpus_path(*TAMPERED, base_url=url, progress=False)
    msg = str(e.value)
    assert cf.mtl_path in msg and cf.sha256 in msg
    assert len([w for w in msg.split() if len(w.strip(';,')) == 64]) == 2     # both checksums
    assert cached_files(cache) == []


def test_corrupt_cached_file_is_fetched_again(mirror, cache):
    url, _ = mirror
    path = data.corpus_path('NCBI', 'devel', base_url=url, progress=False)
    path.write_text(path.read_text()[:-100])                 # truncated by a crash, say
    with pytest.warns(UserWarning, match='fetching it again'):
        again = data.corpus_path('NCBI', 'devel', base_url=url, progress=False)
    assert again == path and data.file_digests(path)[0] == data.CORPORA['NCBI'].files['devel'].sha256


def test_unreachable_mirror_leaves_no_partial_file(cache):
    with pytest.raises(OSError):
        data.corpus_path('NCBI', 'train', base_url='http://127.0.0.1:9', progress=False)
    assert cached_files(cache) == []


def test_local_folder_is_verified_and_never_modified(tmp_path, monkeypatch):
    src = data.local_data_dir()
    if src is None: pytest.skip('BIONER_KD_DATA is not set')
    (tmp_path / 'NCBI').mkdir()
    for s in data.SPLITS: shutil.copy(src / 'NCBI' / f'{s}.tsv', tmp_path / 'NCBI' / f'{s}.tsv')
    broken = tmp_path / 'NCBI' / 'devel.tsv'
    broken.write_text(broken.read_text().replace('B-Disease', 'O', 1))
    before = broken.read_bytes()
    monkeypatch.setenv('BIONER_KD_DATA', str(tmp_path))
    assert data.corpus_path('NCBI', 'test') == tmp_path / 'NCBI' / 'test.tsv'
    with pytest.raises(data.ChecksumError, match='NCBI/devel.tsv'):
        data.corpus_path('NCBI', 'devel')
    assert broken.read_bytes() == before
    with pytest.raises(FileNotFoundError, match='BIONER_KD_DATA'):
        data.corpus_path('BC2GM', 'test')
