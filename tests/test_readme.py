import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('docs_build', ROOT / 'docs' / 'build.py')
docs = importlib.util.module_from_spec(spec); spec.loader.exec_module(docs)


def test_readme_is_the_rendering_of_index():
    "README.md is nbs/index.ipynb as the docs' home page shows it (the same processing), in Markdown."
    assert (ROOT / 'README.md').read_text() == docs.readme(), 'out of date: run `python docs/build.py readme`'


def test_no_directive_comment_in_readme():
    assert '#|' not in (ROOT / 'README.md').read_text()
