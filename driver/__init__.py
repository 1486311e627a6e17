"""Optuna glue of the study driver: storages, cells as trials, resume, trials table."""
