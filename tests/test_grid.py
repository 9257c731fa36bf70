"""The experiment grid as a user runs it: `bioner-kd run --profile smoke` through papermill on the default
local Dask cluster, once (the session fixture `smoke_grid`); the report it writes, recomputed from its
records; and the grid resumed from its records on a cluster of `dask` processes, one of them killed. These
tests share one run, so they live in one file: `make test` distributes test files to workers
(`--dist loadfile`)."""
import json, re, shutil, signal, subprocess, sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread
from scipy.stats import friedmanchisquare, t as student_t

from bioner_kd.graph import build_grid
from bioner_kd.report import write_reports
from bioner_kd.config import get_profile
from helpers import alive, descendants, needs_corpora, run_cli, start_cli, wait_until, workers_joined

pytestmark = needs_corpora
ROOT = Path(__file__).resolve().parent.parent


def test_smoke_grid_completes(smoke_grid):
    out = smoke_grid.out
    assert smoke_grid.returncode == 0, smoke_grid.log
    nodes = build_grid(get_profile('smoke'))
    assert all(n.done(out) for n in nodes)
    assert f'{len(nodes)} run now, 0 already done, 0 failed' in smoke_grid.log
    assert 'WARNING' not in smoke_grid.log         # the kernels' own logs (the report's too) stay off the console
    for n in nodes:               # each node's executed notebook, in the run folder: its parameters, no error
        nb = json.loads((out / 'notebooks' / f'{n.name}.ipynb').read_text())
        params = dict(nb['metadata']['papermill']['parameters'])
        assert Path(params.pop('out')).resolve() == out.resolve(), n.name
        assert params == json.loads(json.dumps(n.params)), n.name
        errors = [o for c in nb['cells'] for o in c.get('outputs', []) if o['output_type'] == 'error']
        assert not errors, (n.name, errors)
    student = json.loads((out / 'student-NCBI-ensemble-a0-seed2.json').read_text())
    assert student['teacher_runs'] == ['mtm-seed1', 'mtm-seed2'] and student['profile'] == 'smoke'
    figure = smoke_grid.reports / 'figure3.png'
    assert figure.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and min(imread(figure).shape[:2]) > 100
    readme = (smoke_grid.reports / 'README.md').read_text()
    assert '![Figure 3: the models by mean rank](figure3.png)' in readme
    # all done: nothing redone
    again = start_cli('run', '--profile', 'smoke', '--out', str(out), '--no-report', '--quiet')
    log, _ = again.communicate(timeout=300)
    assert again.returncode == 0 and f'0 run now, {len(nodes)} already done' in log


def test_planted_record_of_other_settings_is_redone(smoke_grid, tmp_path):
    "An STM trained with other options into a finished run folder: the report refuses it, the grid redoes it."
    assert smoke_grid.returncode == 0, smoke_grid.log
    out = tmp_path / 'runs'
    shutil.copytree(smoke_grid.out, out)
    good = json.loads((out / 'stm-NCBI-seed1.json').read_text())
    r = run_cli('train', 'stm', '--profile', 'smoke', '--dataset', 'NCBI', '--seed', '1', '--epochs', '1',
                '--hidden', '4', '--out', str(out), '--quiet', timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    planted = json.loads((out / 'stm-NCBI-seed1.json').read_text())
    assert planted['options']['epochs'] == 1 and planted['fingerprint'] != good['fingerprint']
    with pytest.raises(ValueError,
                       match='the cell STM / NCBI would average runs made with different settings'):
        write_reports('smoke', out, tmp_path / 'reports')
    p = start_cli('run', '--profile', 'smoke', '--out', str(out), '--no-report', '--quiet')
    log, _ = p.communicate(timeout=900)
    n = len(build_grid(get_profile('smoke')))
    assert p.returncode == 0 and f'1 run now, {n - 1} already done' in log, log
    assert 'stm-NCBI-seed1.json: options.epochs 1 (now 8); options.model.hidden 4 (now 16)' in log
    redone = json.loads((out / 'stm-NCBI-seed1.json').read_text())
    assert redone['fingerprint'] == good['fingerprint'] and redone['options']['epochs'] == 8
    aside = sorted(json.loads(p.read_text())['options']['epochs']
                   for p in (out / 'stale').rglob('stm-NCBI-seed1.json'))
    assert aside == [1, 8]    # the grid's first record, moved by `train`, and the planted one, moved by `run`
    assert write_reports('smoke', out, tmp_path / 'reports')


def test_smoke_grid_resumed_on_a_cluster_with_a_worker_killed(smoke_grid, dask_cluster, tmp_path):
    """Part of the smoke grid run again, on a scheduler and two workers started by hand; one worker killed
    mid-node."""
    assert smoke_grid.returncode == 0, smoke_grid.log
    out, nodes = tmp_path / 'runs', build_grid(get_profile('smoke'))
    shutil.copytree(smoke_grid.out, out, ignore=shutil.ignore_patterns('logs', 'notebooks'))
    redo = [n for n in nodes if n.name in ('mtm-seed2', 'targets-mtm-seed2', 'stm-NCBI')
            or n.name.startswith('student-NCBI-ensemble-')]  # a chain (teacher, targets, students) and a root
    for r in (r for n in redo for r in n.records): (out / r).unlink()
    address, worker = dask_cluster
    victim, _ = worker(), worker()
    workers_joined(address, 2)
    p = start_cli('run', '--profile', 'smoke', '--out', str(out), '--scheduler', address, '--no-report',
                  '--quiet')
    started = lambda: (len(list((out / 'logs').glob('*.params.json'))) >= 2     # both workers busy,
                       and len(descendants(victim.pid)) >= 2)                    # the victim's kernel started
    wait_until(started, 300, 'the grid did not start on both workers', p)
    doomed = descendants(victim.pid) | {victim.pid}
    victim.send_signal(signal.SIGKILL)
    wait_until(lambda: not alive(doomed), 30, 'the killed worker left processes behind')
    log, _ = p.communicate(timeout=1200)
    assert p.returncode == 0, log
    assert f'{len(redo)} run now, {len(nodes) - len(redo)} already done, 0 failed' in log
    assert 'started again on' in log                                # the victim's node, on the other worker
    assert all(n.done(out) for n in nodes)

def copy_records(smoke: Path, dst: Path, leave_out=()) -> Path:
    "The smoke records (not checkpoints) in a folder of our own, without the runs named in `leave_out`."
    dst.mkdir(parents=True)
    for p in smoke.glob('*.json'):
        if p.stem not in leave_out: shutil.copy(p, dst / p.name)
    return dst


def records_by_fields(runs: Path) -> list:
    return [json.loads(p.read_text()) for p in sorted(runs.glob('*.json'))]


DATASETS, SEEDS = ('BioNLP13GE', 'ExPTM', 'NCBI'), (1, 2)
STATS_2020 = '### Friedman test and Conover post-hoc comparisons (2020)'     # the README's section


def models_2020() -> dict:
    """The distinct models of the 2020 analysis (the alpha = 1 students are the STM), by key: which records
    are its runs, told by the records' fields."""
    def student(teacher, a):
        return lambda r: (r['kind'] == 'student' and r['teacher'] == teacher and r['distill']['alpha'] == a
                          and r['teacher_type'] == 'softmax' and not r['distill']['features'])
    return {'MTM': lambda r: r['kind'] == 'mtm', 'STM': lambda r: r['kind'] == 'stm',
            'Student_a0': student('single', 0), 'Student_a0.5': student('single', 0.5),
            'StudentEns_a0': student('ensemble', 0), 'StudentEns_a0.5': student('ensemble', 0.5)}


def block_f1(recs: list) -> np.ndarray:
    "Test F1, (dataset, seed) blocks x the models of `models_2020`, from the records."
    def f1(d, s, keep):
        return next(r['scores'][d]['test']['f1'] for r in recs
                    if r['seed'] == s and keep(r) and (r['kind'] == 'mtm' or r['datasets'] == [d]))
    return np.array([[f1(d, s, keep) for keep in models_2020().values()] for d in DATASETS for s in SEEDS])


def section(readme: str, heading: str) -> str:
    "The text under `heading` in a Markdown file, up to the next heading."
    start = readme.index(heading + '\n') + len(heading)
    end = re.search(r'^#', readme[start:], re.M)
    return readme[start:start + end.start()] if end else readme[start:]


def test_smoke_tables_from_records(smoke_grid, tmp_path):
    assert smoke_grid.returncode == 0, smoke_grid.log
    runs = copy_records(smoke_grid.out, tmp_path / 'runs')
    written = write_reports('smoke', runs, tmp_path / 'reports')
    recs = records_by_fields(runs)
    t1 = pd.read_csv(written['table1.csv'], index_col='dataset')
    t2 = pd.read_csv(written['table2.csv'], index_col='dataset')
    # recomputed here by the records' fields, independently of bioner_kd.report
    for d in ('BioNLP13GE', 'ExPTM', 'NCBI'):
        mtm = [r['scores'][d]['test']['f1'] for r in recs if r['kind'] == 'mtm' and r['seed'] in (1, 2)]
        stm = [r['scores'][d]['test']['f1'] for r in recs if r['kind'] == 'stm' and r['datasets'] == [d]]
        ens = [r['scores'][d]['test']['f1'] for r in recs if r['kind'] == 'student' and r['datasets'] == [d]
               and r['teacher'] == 'ensemble' and r['distill']['alpha'] == 0.5]
        assert len(mtm) == len(stm) == len(ens) == 2
        assert t1.loc[d, 'MTM'] == pytest.approx(round(np.mean(mtm), 2), abs=1e-9)
        assert t1.loc[d, 'STM'] == pytest.approx(round(np.mean(stm), 2), abs=1e-9)
        assert t2.loc[d, 'StudentEns_a0.5'] == pytest.approx(round(np.mean(ens), 2), abs=1e-9)
    assert not t1.isna().any().any()
    # the literal alpha = 1 student is the STM: its columns show the STM's runs, the Friedman test counts it
    # once
    assert (t1['Student_a1'] == t1['STM']).all() and (t2['StudentEns_a1'] == t2['STM']).all()
    assert not any(r['kind'] == 'student' and r['distill']['alpha'] == 1 for r in recs)
    blocks = block_f1(recs)
    friedman = pd.read_csv(written['friedman_2020.csv'])
    assert (friedman.blocks[0], friedman.n_blocks[0], friedman.n_models[0]) == ('runs', 6, 6)
    stats = section(written['README.md'].read_text(), STATS_2020)
    if (blocks == blocks[:, :1]).all():     # the tiny networks: every model the same F1 in every block
        assert np.isnan(friedman.statistic[0])
        assert '- Friedman test undefined: in each of the 6 blocks every model has the same F1' in stats
    else:
        expected = friedmanchisquare(*blocks.T).statistic
        assert friedman.statistic[0] == pytest.approx(expected, rel=1e-5)
        assert f'- Friedman χ² = {expected:.2f}, ' in stats
    precisions = ' and '.join(sorted({r['precision'] for r in recs}))
    assert f'(profile `smoke`, seeds 1, 2, precision {precisions})' in written['table1.md'].read_text()
    claims = pd.read_csv(written['claims.csv'], index_col='claim')
    assert claims.loc['d', 'verdict'] == 'does not hold' and claims.loc['d', 'same_runs']
    readme = written['README.md'].read_text()
    assert readme.index('## What reproduces') < readme.index('## Setup') < readme.index('## Tables 1-4')
    commits = {r['git_commit'] for r in recs}
    assert all(f'`{c}`' in readme for c in commits)
    if any(r['git_dirty'] for r in recs): assert 'uncommitted changes' in readme
    assert 'None: every cell of every table has the runs of all its seeds.' in readme
    again = write_reports('smoke', runs, tmp_path / 'again')
    assert {k: p.read_bytes() for k, p in written.items()} == {k: p.read_bytes() for k, p in again.items()}


def conover(blocks: np.ndarray) -> tuple:
    """Conover's all-pairs comparisons after a Friedman test (Conover 1999, Practical Nonparametric
    Statistics, 5.8), for blocks without ties: the two-sided p-values, unadjusted and Holm-adjusted."""
    b, k = blocks.shape
    ranks = blocks.argsort(1).argsort(1) + 1.0                  # within each block, 1 = the lowest F1
    sums = ranks.sum(0)
    a1, c1 = (ranks ** 2).sum(), b * k * (k + 1) ** 2 / 4
    t1 = (k - 1) * ((sums - b * (k + 1) / 2) ** 2).sum() / (a1 - c1)
    se = np.sqrt(2 * b * (a1 - c1) / ((b - 1) * (k - 1)) * (1 - t1 / (b * (k - 1))))
    p = 2 * student_t.sf(np.abs(sums[:, None] - sums[None, :]) / se, (b - 1) * (k - 1))
    np.fill_diagonal(p, 1.0)
    pairs = sorted((p[i, j], i, j) for i in range(k) for j in range(i + 1, k))
    holm, running = np.ones((k, k)), 0.0
    for n, (q, i, j) in enumerate(pairs):           # step-down: the n-th smallest times (pairs - n), monotone
        running = max(running, min(1.0, q * (len(pairs) - n)))
        holm[i, j] = holm[j, i] = running
    return p, holm


def test_smoke_statistics_on_varied_scores(smoke_grid, tmp_path):
    """The smoke records with made-up distinct F1 (the tiny networks often score 0 everywhere), some models
    far apart: the report's Friedman statistic, mean ranks, Conover p-values and the README's "A > B" lines,
    against scipy's statistic and ranks and p-values computed here from the records."""
    assert smoke_grid.returncode == 0, smoke_grid.log
    runs = copy_records(smoke_grid.out, tmp_path / 'runs')
    models = models_2020()
    strength = dict(zip(models, (2, 5, 0, 3, 1, 4)))    # not in table order: the best is the STM's column
    rng = np.random.default_rng(0)
    for p in sorted(runs.glob('*.json')):
        r = json.loads(p.read_text())
        model = [m for m, keep in models.items() if keep(r)]
        assert len(model) <= 1, (p.name, model)
        for d in r['scores']:
            r['scores'][d]['test']['f1'] = float(45 + 6 * strength[model[0]] + rng.normal(0, 8) if model
                                                 else rng.uniform(40, 90))
        p.write_text(json.dumps(r))
    written = write_reports('smoke', runs, tmp_path / 'reports')
    blocks = block_f1(records_by_fields(runs))
    assert len(np.unique(blocks)) == blocks.size                        # no ties

    friedman = pd.read_csv(written['friedman_2020.csv'])
    assert friedman.statistic[0] == pytest.approx(friedmanchisquare(*blocks.T).statistic, rel=1e-5)
    ranks = pd.read_csv(written['ranks_2020.csv'], index_col='model')
    # rank 1: the best F1 of a block
    by_hand = {m: np.mean([1 + (row > row[j]).sum() for row in blocks]) for j, m in enumerate(models)}
    assert ranks.mean_rank.to_dict() == pytest.approx(by_hand, abs=1e-4)
    assert list(ranks.index) == sorted(by_hand, key=by_hand.get)       # best first

    p, holm = conover(blocks)
    for stem, expected in (('conover_2020.csv', p), ('conover_holm_2020.csv', holm)):
        got = pd.read_csv(written[stem], index_col='model').loc[list(models), list(models)].to_numpy()
        assert got == pytest.approx(expected, rel=1e-5, abs=1e-12), stem
    keys, label = list(models), ranks.label.to_dict()
    far = {tuple(label[m] for m in sorted((keys[i], keys[j]), key=by_hand.get))      # the better first
           for i in range(len(keys)) for j in range(i + 1, len(keys)) if p[i, j] < 0.001}
    assert 0 < len(far) < 15                             # the made-up scores set some pairs apart, not all
    stats = section(written['README.md'].read_text(), STATS_2020)
    assert set(re.findall(r'^- (.+) > (.+) \(p ', stats, re.M)) == far
    assert f'Pairs that differ with p < 0.001 ({len(far)} of 15)' in stats


def test_smoke_missing_seed(smoke_grid, tmp_path):
    runs = copy_records(smoke_grid.out, tmp_path / 'runs', leave_out={'student-ExPTM-ensemble-a0.5-seed2'})
    written = write_reports('smoke', runs, tmp_path / 'reports')
    t2 = pd.read_csv(written['table2.csv'], index_col='dataset', keep_default_na=False)
    assert t2.loc[['ExPTM', 'Average', 'Average Variance'], 'StudentEns_a0.5'].tolist() == [''] * 3
    assert t2.loc['NCBI', 'StudentEns_a0.5'] != '' and t2.loc['Average', 'StudentEns_a0'] != ''
    t4 = pd.read_csv(written['table4.csv'], index_col='dataset', keep_default_na=False)
    assert t4.loc['ExPTM', 'StudentEns_a0.5'] == ''
    assert '`student-ExPTM-ensemble-a0.5-seed2`' in written['README.md'].read_text()
    missing = pd.read_csv(written['missing.csv'])
    assert missing.run.tolist() == ['student-ExPTM-ensemble-a0.5-seed2']


def test_report_notebook_bad_params(tmp_path):
    p = subprocess.run([sys.executable, '-m', 'papermill', str(ROOT / 'nbs' / 'experiments' / 'report.ipynb'),
                        str(tmp_path / 'out.ipynb'), '-p', 'profile', 'smoke',
                        '-p', 'runs', str(tmp_path / 'none'),
                        '-k', 'python3', '--no-progress-bar', '--log-level', 'WARNING'],
                       capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert p.returncode != 0 and 'no run folder' in p.stdout + p.stderr
