"""How fast the suite trains and runs studies on this machine: ``python -m benchmarks`` / ``make bench``.

One run measures, side by side: (1) the trainer's throughput against a hand-written ``model.fit``
and against the machine's matmul peak, (2) the fixed cost of a trial, (3) the speed-up of
``study.py run --workers 2``, (4) resident-memory growth over many trials, (5) a learning-rate
search with and without pruning, (6) precision policies and XLA, (7) the input pipeline's
overhead, (8) adaptive seeds (`--seeds auto`) against a fixed design: trainings saved and false
decisions, simulated and on digits. Results go to ``benchmarks/results/latest.json`` and ``latest.md``.
"""
