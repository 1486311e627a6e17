"""The whole study of seed report 001, stage by stage, each stage starting from the earlier winners."""

from ablations import Ablation
from ablations._seed001 import BASE, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=BASE,
    design="chained",
    stages=[
        dict(bn=["none", "before", "after"]),
        dict(batch_size=[32, 64, 128, 256, 512]),
        dict(initializer=["glorot_uniform", "zeros", "random_normal", "random_uniform", "glorot_normal",
                          "he_uniform", "he_normal", "lecun_uniform", "lecun_normal"]),
        dict(dropout=["none", "0.2", "0.5", "0.2,0.5,0.7"]),
        dict(regularizer=["l2", "l1", "l1l2"], reg_strength=[1e-4, 1e-5, 1e-3, 1e-2]),
        dict(activation=["relu", "leaky_relu", "sigmoid", "tanh"], bn=["before", "none", "after"]),
        dict(optimizer=["adam", "sgd", "rmsprop", "adamax", "nadam", "adagrad", "adadelta", "adamw", "ftrl"]),
        dict(optimizer=["adam", "rmsprop", "sgd", "adamax"], learning_rate=[1e-3, 1e-4, 1e-2, 1e-1]),
        dict(augmentation=["none", "flip+shift+zoom", "cutout", "mixup", "flip+shift+zoom+cutout+mixup"]),
    ],
    seeds=3,
    source=SOURCE + ", stages 1-9 in the report's order (BN, batch size, initialiser, dropout, weight decay, "
                    "activation x BN, optimiser, learning rate x optimiser, augmentation)",
    notes="Unlike the separate stage ablations, which carry the report's winners forward, this chain carries "
          "the winners it measures itself (best mean validation accuracy). One epoch budget (20, with early "
          "stopping) serves every stage, where the report moved to 50 epochs from the dropout stage on. Weight "
          "decay is one stage, the report's fig. 6 grid (L1, L2, L1L2 x 1e-5..1e-2); 'none' is not a level of "
          "it, as in the report (a strength would do nothing without a regulariser). Stage 8 takes the four "
          "optimisers of the report's fig. 8 whatever stage 7 found.",
)
