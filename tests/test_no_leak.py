"""No test text reaches training, checked on the 15 real corpora: the sentences a run trains on
(`task_sentences`), the text the default word2vec is trained on (`corpus_text`, `train_devel_sentences`)
and the char vocabulary every model uses (`corpus_char_vocab`) come from the train and devel files only.
The expected values are read here straight from the lines of the files. (Pre-trained vectors restricted to
the corpora's words, test words included, are allowed: no label reaches training that way.)"""
from collections import Counter
from dataclasses import replace

import pytest

from bioner_kd.data import CORPORA, DATASETS, corpus_path
from bioner_kd.encoding import cap_chars, corpus_char_vocab, normalize_word, train_devel_sentences
from bioner_kd.embeddings import corpus_text
from bioner_kd.config import get_profile
from bioner_kd.train import task_sentences
from helpers import needs_corpora

pytestmark = needs_corpora


def file_tokens(dataset: str, split: str) -> list:
    "The sentences of a corpus file as tuples of tokens, from its lines, read here (not by the package)."
    sentences, tokens = [], []
    for line in corpus_path(dataset, split).read_text(encoding='utf-8').split('\n') + ['']:
        token = line.split('\t')[0]
        if line and token != '-DOCSTART-': tokens.append(token); continue
        if tokens: sentences.append(tuple(tokens)); tokens = []
    return sentences


@pytest.fixture(scope='module')
def corpora() -> dict:
    "{(dataset, split): [token tuples]} of every file."
    return {(d, s): file_tokens(d, s) for d in DATASETS for s in ('train', 'devel', 'test')}


@pytest.fixture(scope='module')
def train_devel(corpora) -> list:
    return [t for (d, s), sents in corpora.items() if s != 'test' for t in sents]


def test_reader_agrees_with_the_registry(corpora):
    for (d, s), sents in corpora.items():
        assert len(sents) == CORPORA[d].files[s].sentences, (d, s)


@pytest.mark.parametrize('protocol', ['paper', 'select'])
def test_a_run_trains_on_train_and_devel_only(corpora, protocol):
    """Every sentence a run trains on (and selects its epoch on) is one of its dataset's train (or devel)
    sentences, on the full data (a profile's subsets are drawn from the same lists: `subsample`)."""
    cfg = replace(get_profile('paper').train_config('stm', 1), protocol=protocol)
    for d in DATASETS:
        expected = corpora[d, 'train'] + (corpora[d, 'devel'] if protocol == 'paper' else [])
        test_only = set(corpora[d, 'test']) - set(corpora[d, 'train']) - set(corpora[d, 'devel'])
        sents = task_sentences(d, cfg)
        train = [s.tokens for s in sents['train']]
        assert sorted(train) == sorted(expected) and not set(train) & test_only, d
        if protocol == 'select':
            assert sorted(s.tokens for s in sents['devel']) == sorted(corpora[d, 'devel']), d
        assert sorted(s.tokens for s in sents['test']) == sorted(corpora[d, 'test']), d


def test_word2vec_text_is_train_and_devel(corpora, train_devel):
    assert [s.tokens for s in train_devel_sentences()] == train_devel
    text = corpus_text()
    assert len(text) == len(train_devel)
    words = {w for s in text for w in s}
    assert words == {normalize_word(t) for s in train_devel for t in s}
    test_words = {normalize_word(t) for (_, s), sents in corpora.items() if s == 'test' for x in sents for t in x}
    assert test_words - words                        # words seen only in test exist: the check above can fail


def test_char_vocabulary_is_train_and_devel(train_devel):
    "Its characters, most frequent first (ties in order of appearance): test text would change the counts."
    counts = Counter(c for s in train_devel for t in s for c in cap_chars(t))
    assert corpus_char_vocab().itos[2:] == [c for c, _ in counts.most_common()]
