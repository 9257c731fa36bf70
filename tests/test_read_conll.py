"`read_conll` on arbitrary bytes (hypothesis): a list of sentences, or the package's `ValueError` naming the file and a line."
import re

from hypothesis import given, settings, strategies as st

from bioner_kd.data import CorpusFormatError, Sentence, read_conll

# bytes near the format (tabs, newlines, tags, -DOCSTART-, non-UTF-8 bytes), mixed with anything at all
PIECES = st.sampled_from([b'\t', b'\n', b'\r\n', b'O', b'B-Gene', b'I-Gene', b'B-', b'-DOCSTART-', b' ', b'word', b'\xff', b'\xc3\xa9'])
TEXT = st.one_of(st.binary(max_size=300), st.lists(st.one_of(PIECES, st.binary(max_size=4)), max_size=60).map(b''.join))


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_read_conll_parses_or_names_a_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp('conll') / 'corpus.tsv'
    path.write_bytes(data)
    try: sentences = read_conll(path)
    except CorpusFormatError as e:
        m = re.match(rf'{re.escape(str(path))}:(\d+): expected .+, got ', str(e))
        assert m, str(e)
        assert 1 <= int(m[1]) == e.line <= data.count(b'\n') + 1
        return
    assert all(isinstance(s, Sentence) and s.tokens and len(s.tokens) == len(s.tags) for s in sentences)
    assert sum(len(s.tokens) for s in sentences) <= data.count(b'\t')
