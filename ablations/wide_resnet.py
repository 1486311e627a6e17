"""How do depth and width trade off in wide ResNets: N = 2 or 4 blocks per stage x widening k = 2, 4, 8, 16?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed003 import NOTES, SOURCE, TRAINING

ABLATION = Ablation(
    question=__doc__,
    base=TRAINING,
    factors=dict(
        model=["wrn_16_2", "wrn_16_4", "wrn_16_8", "wrn_16_16", "wrn_28_2", "wrn_28_4", "wrn_28_8", "wrn_28_16"]
    ),
    seeds=3,
    source=SOURCE + ", section 5.2 (WideResnet N x k table)",
    notes=NOTES + "WRN-d-k has d = 6N + 4 layers: N = 2 is WRN-16-k, N = 4 is WRN-28-k. The report's table "
    "stops at N = 4, k = 4; the grid is completed here (N = 4 with k = 8 and 16 are extensions). Its "
    "architecture section (4.4) is empty and its dropout section (4.3) gives no rate: the WRN paper's "
    "pre-activation blocks with dropout 0.3 inside each block. Adam and He-normal are the report's "
    "ResNeXt settings (section 3.4), carried over.",
)
