"""Does dropout help baseline 2, at a constant rate after each conv layer or an increasing one per block?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import AFTER_INIT, DROPOUT_RUNS, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_INIT,
    factors=dict(run=DROPOUT_RUNS),
    seeds=3,
    source=SOURCE + ", stage 4 (constant 0.2 and 0.5 after 20 epochs: 79.26%, 75.54%; 0.5 after 50: 80.33%, "
    "stopped at 43; increasing 0.2/0.5/0.7 per block after 50: 81.03%, stopped at 32)",
    notes="The report's four runs, each a level setting the dropout and the epoch budget together, plus the network "
    "without dropout at both budgets as the controls (the report's reference is its stage 3 result, 20 "
    "epochs). Early stopping (3 epochs without a lower validation loss) ends runs early, as in the report. "
    "The constant rates sit after each of the six convolutions ('0.2 on each convolutional layer'), the "
    "increasing ones after each block's max-pooling, one rate per block ('for each block of convolutional "
    "layer'); the report's architecture figure is missing, so the exact place within a block is our reading.",
)
