"""`bioner-kd report`, through the command line, papermill and the report notebook, on made-up `full` records:
the runs with other settings (`--variants`) set beside the grid's runs of a dataset far from the paper's."""
import json

import pandas as pd

from bioner_kd.cells import synthetic_records
from bioner_kd.config import get_profile
from helpers import run_cli


def far_stm(rec: dict, f1: float, epochs: int) -> dict:
    "The STM record `rec` with F1 `f1` on its dataset, `epochs` epochs and a training loss still falling."
    rec = {**rec, 'options': get_profile('full').train_config('stm', rec['seed'], epochs=epochs).options(),
           'history': [dict(epoch=e, loss=1 / e) for e in range(1, epochs + 1)]}
    rec['scores'] = {d: dict(test=dict(f1=f1)) for d in rec['datasets']}
    return rec


def test_report_sets_variants_beside_far_off_runs(tmp_path):
    runs, variants = tmp_path / 'runs', tmp_path / 'variants'
    synthetic_records('full', runs)
    path = runs / 'stm-BC5CDR-seed1.json'
    stm = json.loads(path.read_text())
    path.write_text(json.dumps(far_stm(stm, 85.45, 15)))                       # the paper: 88.09
    for sub, epochs, f1 in [('epochs30', 30, 85.46), ('epochs30/again', 30, 85.40)]:
        (variants / sub).mkdir(parents=True)
        (variants / sub / path.name).write_text(json.dumps(far_stm(stm, f1, epochs)))
    r = run_cli('report', '--profile', 'full', '--out', str(runs), '--reports', str(tmp_path / 'reports'),
                '--variants', str(variants), timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    far = pd.read_csv(tmp_path / 'reports' / 'far_off.csv')
    assert far.run.tolist() == ['stm-BC5CDR-seed1', 'epochs30/stm-BC5CDR-seed1', 'epochs30/again/stm-BC5CDR-seed1']
    assert far.settings.fillna('').tolist() == ['', 'epochs 30 (profile 15)', 'epochs 30 (profile 15)']
    assert far.delta.tolist() == [-2.64, -2.63, -2.69]
    fall = lambda epochs: round(100 * 5 / epochs, 1)           # a loss of 1/epoch: 1 - (E - 5) / E
    assert far.loss_fall.round(1).tolist() == [fall(15), fall(30), fall(30)]
    readme = (tmp_path / 'reports' / 'README.md').read_text()
    assert '| `epochs30/stm-BC5CDR-seed1`' in readme and 'each with what differs from the profile' in readme
    nb = json.loads((runs / 'notebooks' / 'report.ipynb').read_text())        # as papermill executed it
    kinds = [o.get('output_type') for c in nb['cells'] for o in c.get('outputs', [])]
    assert 'error' not in kinds and kinds.count('display_data') == 6 + 2      # claims, Tables 1-4, Friedman; 2 figures


def test_report_without_variants_folder(tmp_path):
    synthetic_records('full', tmp_path / 'runs')
    r = run_cli('report', '--profile', 'full', '--out', str(tmp_path / 'runs'), '--reports', str(tmp_path / 'reports'),
                '--variants', str(tmp_path / 'none'))
    assert r.returncode == 1 and f'no folder of variant runs {tmp_path / "none"}' in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr and not (tmp_path / 'reports').exists()
