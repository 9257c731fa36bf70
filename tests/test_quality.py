"""Absolute quality: the STM of NCBI on the full data, at the default sizes, with the default word2vec and the
paper's protocol (15 epochs on train+devel, tested on test), reaches a test F1 of at least 82, as in
`03c_train` (a prototype of this design reached 83.0). It takes a few minutes on one core; it is the one
check that every part, from the corpus reader through the embeddings and the training loop to the metric,
works at full scale. The precision is the default, 'auto'."""
from bioner_kd.config import TrainConfig
from bioner_kd.train import train_stm
from helpers import needs_corpora

pytestmark = needs_corpora


def test_full_ncbi_stm_reaches_f1_82():
    _, rec = train_stm('NCBI', TrainConfig(profile='custom', seed=1, epochs=15, progress=False))
    f1 = rec['scores']['NCBI']['test']['f1']
    print(f"NCBI STM: test F1 {f1:.2f} in {rec['seconds']:.0f}s, {rec['precision']}, {rec['tokens_per_s']:.0f} tokens/s")
    assert f1 >= 82, f'the full-data NCBI STM scored test F1 {f1:.2f}, below 82'
