import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('readme', ROOT / 'docs' / 'readme.py')
readme = importlib.util.module_from_spec(spec); spec.loader.exec_module(readme)


def test_readme_is_the_rendering_of_index():
    assert (ROOT / 'README.md').read_text() == readme.render(ROOT / 'nbs' / 'index.ipynb'), \
        'README.md is out of date: run `python docs/readme.py`'


def test_no_directive_comment_in_readme():
    assert '#|' not in (ROOT / 'README.md').read_text()
