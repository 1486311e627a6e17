"""Does dropout after each conv block help, and is a constant or an increasing rate better?"""

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
    "Dropout sits after each block's max-pooling, one rate per block (baseline2 has three); the report says "
    "'0.2 on each convolutional layer' for the constant runs and 'for each block' for the increasing one, "
    "and its architecture figure is missing.",
)
