"""The statistics leaf: every interval, test, decision rule and constant the suite states a result with.

No TensorFlow and nothing of ours: the trial loops (``seeds="auto"`` rounds) and the reports import the same
functions, so a study is decided while it trains exactly as its report later says it was.

- ``intervals``: a mean's interval, an accuracy's interval on the logit scale, the pairing of seeds and the
  one paired-t interval of a difference;
- ``tests``: the paired t / Wilcoxon test, Holm's correction, the seeds a paired test would need;
- ``levels``: the per-level table of a comparison and the decision of a fixed-seed design from its one look;
- ``sequential``: the decision rule of ``seeds="auto"`` and of races (repeated looks at a growing sample).
"""

ALPHA = 0.05  # the error rate of every test and decision unless a study states its own
CONFIDENCE = 1 - ALPHA  # of every interval shown beside a mean or a difference
MIN_PAIRS = 3  # fewer paired seeds give no p-value, no effect size and no decision: they are no evidence
