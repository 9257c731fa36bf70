"""`bioner-kd tag` as a new user runs it: models trained with `bioner-kd train` tag raw-text files and standard input,
every entity's text is its slice of the file, whatever the Unicode; and a model file that is a pickle runs no code."""
import io, json
from types import SimpleNamespace

import pytest
import torch

from bioner_kd import data
from bioner_kd.tagger import tokenise
from bioner_kd.records import load_checkpoint, save_checkpoint
from helpers import run_cli, needs_corpora

pytestmark = needs_corpora

HOSTILE = ('Ataxia\u2013telangiectasia (A-T) and NF-\u03baB: na\u0131\u0308ve T\u00a0cells\tin   breast cancer \U0001f637\U0001f44d\U0001f3fd.\r\n'
           'The ' + 'A' * 400 + ' gene is mutated in ovarian cancer.\r\n\r\nCafe\u0301 au lait spots.\n')


@pytest.fixture(scope='module')
def models(tmp_path_factory):
    "An STM and an MTM trained by `bioner-kd train` at the smoke profile's sizes; the STM made to tag every token B-Disease."
    out = tmp_path_factory.mktemp('models')
    small = ['--profile', 'smoke', '--out', str(out), '--epochs', '3', '--max-train-sentences', '200', '--quiet']
    for args in (['stm', '--dataset', 'NCBI'], ['mtm', '--datasets', 'NCBI,JNLPBA']):
        r = run_cli('train', *args, *small)
        assert r.returncode == 0, r.stdout + r.stderr
    stm = load_checkpoint(out / 'stm-NCBI-seed1.safetensors')
    linear = stm.heads['NCBI'].linear
    with torch.no_grad(): linear.weight.zero_(); linear.bias.copy_(torch.tensor([-10.0, 10.0, -10.0]))
    return SimpleNamespace(out=out, stm=out / 'stm-NCBI-seed1.safetensors', mtm=out / 'mtm-seed1.safetensors',
                           every=save_checkpoint(stm, out / 'every-token.safetensors'))


def entities(stdout: str) -> list:
    return [json.loads(line) for line in stdout.splitlines()]


def test_a_trained_model_tags_files(models, tmp_path):
    files = [tmp_path / 'one.txt', tmp_path / 'two.txt']
    files[0].write_bytes(HOSTILE.encode('utf-8'))
    files[1].write_bytes('Mutations in BRCA1 cause breast and ovarian cancer, and ataxia-telangiectasia.'.encode('utf-8'))
    for model in (models.stm, models.every):
        r = run_cli('tag', '--model', str(model), *map(str, files))
        assert r.returncode == 0 and r.stderr == '', r.stderr
        found = entities(r.stdout)
        texts = {str(f): f.read_bytes().decode('utf-8') for f in files}
        for e in found:
            assert set(e) == {'document', 'start', 'end', 'type', 'text'} and e['type'] == 'Disease'
            assert e['text'] == texts[e['document']][e['start']:e['end']]
    # the model that tags every token B-Disease: the entities are exactly the tokens, offsets included
    assert [(e['document'], e['start'], e['end']) for e in found] == [
        (str(f), a, b) for f in files for a, b in tokenise(texts[str(f)]).spans.tolist()]


def test_standard_input_and_tsv(models):
    r = run_cli('tag', '--model', str(models.every), '--format', 'tsv', input=HOSTILE)
    assert r.returncode == 0, r.stderr
    rows = [line.split('\t') for line in r.stdout.splitlines()]
    unescape = lambda s: s.replace('\\t', '\t').replace('\\n', '\n').replace('\\r', '\r').replace('\\\\', '\\')
    assert len(rows) == len(tokenise(HOSTILE).spans) and all(len(row) == 5 for row in rows)
    assert all(d == '-' and unescape(t) == HOSTILE[int(a):int(b)] for d, a, b, _, t in rows)
    assert any(t == 'A' * 400 for *_, t in rows) and any(t == '\U0001f637' for *_, t in rows)


def test_a_file_that_is_not_utf8_is_reported_and_the_others_tagged(models, tmp_path):
    good, bad, also = tmp_path / 'good.txt', tmp_path / 'bad.txt', tmp_path / 'also.txt'
    good.write_text('Breast cancer.', encoding='utf-8')
    bad.write_bytes('Caf\u00e9 au lait spots in neurofibromatosis.'.encode('latin-1'))
    also.write_text('Ovarian cancer.', encoding='utf-8')
    r = run_cli('tag', '--model', str(models.every), str(good), str(bad), str(also), str(tmp_path / 'absent.txt'))
    assert r.returncode == 1
    assert f'{bad}: not UTF-8 text: byte 0xe9 at byte offset 3' in r.stderr
    assert f'{tmp_path / "absent.txt"}: No such file or directory' in r.stderr
    assert {e['document'] for e in entities(r.stdout)} == {str(good), str(also)}


def test_empty_input_writes_nothing(models, tmp_path):
    (tmp_path / 'empty.txt').write_text('')
    (tmp_path / 'blank.txt').write_text(' \r\n\t\n')
    for fmt, args in (('jsonl', []), ('conll', [str(tmp_path / 'empty.txt'), str(tmp_path / 'blank.txt')])):
        r = run_cli('tag', '--model', str(models.every), '--format', fmt, *args, input='')
        assert (r.returncode, r.stdout, r.stderr) == (0, '', '')


def test_conll_reads_back_and_an_mtm_tags_for_the_dataset_named(models, tmp_path):
    text = tmp_path / 'genia.txt'
    text.write_text('IL-2-induced NF-\u03baB activation in CD4+ T-cells. It was blocked.')
    r = run_cli('tag', '--model', str(models.mtm), str(text))
    assert r.returncode == 1 and 'this model tags 2 datasets: say which one with dataset= (NCBI, JNLPBA)' in r.stderr
    r = run_cli('tag', '--model', str(models.mtm), '--dataset', 'JNLPBA', '--format', 'conll', str(text))
    assert r.returncode == 0, r.stderr
    (tmp_path / 'out.conll').write_text(r.stdout)
    sentences = data.read_conll(tmp_path / 'out.conll')
    assert [s.tokens for s in sentences] == [('IL-2-induced', 'NF-\u03baB', 'activation', 'in', 'CD4+', 'T-cells', '.'),
                                             ('It', 'was', 'blocked', '.')]
    assert r.stdout.startswith(f'-DOCSTART-\t{text}\n\n')


def test_a_crafted_pickle_runs_no_code(models, tmp_path):
    "A model file that is a pickle whose loading creates a file: refused by `tag` and by `train student --teachers`."
    evidence = tmp_path / 'pwned'
    class Payload:
        def __reduce__(self): return (io.open, (str(evidence), 'w'))
    crafted = tmp_path / 'crafted.pt'
    torch.save({'state_dict': Payload()}, crafted)
    torch.load(crafted, weights_only=False)
    assert evidence.exists()                        # unpickled, the file does run code
    evidence.unlink()
    teachers = tmp_path / 'teachers'
    teachers.mkdir()
    (teachers / 'mtm-seed1.safetensors').write_bytes(crafted.read_bytes())
    (teachers / 'mtm-seed2.pt').write_bytes(crafted.read_bytes())
    (tmp_path / 'text.txt').write_text('Breast cancer.')
    r = run_cli('tag', '--model', str(crafted), str(tmp_path / 'text.txt'))
    assert r.returncode == 1 and f'{crafted} is a pickle' in r.stderr and 'refused' in r.stderr
    student = ['train', 'student', '--dataset', 'NCBI', '--alpha', '0.5', '--profile', 'smoke', '--epochs', '1',
               '--max-train-sentences', '50', '--out', str(tmp_path / 'runs'), '--teachers', str(teachers), '--quiet']
    r = run_cli(*student)
    assert r.returncode == 1 and f'{teachers / "mtm-seed1.safetensors"} is a pickle' in r.stderr, r.stderr
    r = run_cli(*student, '--seed', '2')
    assert r.returncode == 1 and f'missing teacher checkpoint(s) {teachers / "mtm-seed2.safetensors"}' in r.stderr, r.stderr
    assert not evidence.exists()


def test_tag_precision_is_the_apis(models, tmp_path):
    "`--precision` tags as `Tagger(precision=...)` does, `auto` by default; an unknown precision is refused."
    from bioner_kd.tagger import Tagger
    text = tmp_path / 'abstract.txt'
    text.write_text('Mutations in BRCA1 cause breast and ovarian cancer, and ataxia-telangiectasia. ' * 20)
    from bioner_kd.models import bf16_runs
    for args, precision in (([], 'auto'), (['--precision', 'fp32'], 'fp32'), (['--precision', 'bf16'], 'bf16')):
        r = run_cli('tag', '--model', str(models.stm), '--format', 'tsv', *args, str(text))
        if precision == 'bf16' and not bf16_runs():        # a CPU with AVX2 only: refused, saying why
            assert r.returncode == 1 and 'precision bf16 cannot run on cpu' in r.stderr, r.stderr
            continue
        assert r.returncode == 0, r.stderr
        ents = Tagger.load(models.stm, precision=precision)(text.read_text())
        assert [line.split('\t')[1:3] for line in r.stdout.splitlines()] == [[str(e.start), str(e.end)] for e in ents]
    r = run_cli('tag', '--model', str(models.stm), '--precision', 'fp16', str(text))
    assert r.returncode == 2 and "invalid choice: 'fp16'" in r.stderr
