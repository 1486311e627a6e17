"""Which kernel initialiser trains best: zeros, plain random, Glorot, He or LeCun?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import AFTER_BATCH, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_BATCH,
    factors=dict(
        initializer=[
            "glorot_uniform",
            "zeros",
            "random_normal",
            "random_uniform",
            "glorot_normal",
            "he_uniform",
            "he_normal",
            "lecun_uniform",
            "lecun_normal",
        ]
    ),
    seeds=3,
    source=SOURCE + ", stage 3",
    notes="The report tests zeros, Gaussian/uniform random, Glorot and He (He won); LeCun completes the set. "
    "'He' is not said to be normal or uniform: the later stages carry he_normal.",
)
