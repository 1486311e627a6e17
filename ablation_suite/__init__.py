"""Named hyperparameter ablation studies of image classifiers: run, resume and report.

The one import name of the suite: everything it imports lives below it, so a project's own ``config``,
``training``, ``reports``, ``utils`` or ``models`` modules work beside it. The command line is the
``ablation-suite`` console script (``ablation_suite.cli.main``); the notebook API is here:

    import ablation_suite as suite
    frame = suite.run(suite.Ablation(...), name="bn", dataset="digits", epochs=1)
    suite.figures("bn")

Its names load lazily, so ``import ablation_suite`` (which the command line does first) imports neither
TensorFlow nor Optuna, and the command line can quiet TensorFlow's start-up before anything loads it.
"""

from ablation_suite.errors import UserError

API = ("run", "frame", "figures", "report")  # ablation_suite.api
__all__ = ["Ablation", "Level", "UserError", *API]


def __getattr__(name: str):
    if name in ("Ablation", "Level"):  # what a question file builds
        from ablation_suite import ablations

        return getattr(ablations, name)
    if name in API:
        from ablation_suite import api

        return getattr(api, name)
    raise AttributeError(f"module 'ablation_suite' has no attribute {name!r}; its API is: {', '.join(__all__)}")
