"""What ``ablation-suite run``/``search`` and the notebook API (api) share: resolve an ablation into its
validated base Config and cells, check everything before anything is written, then create or resume its study
and train this worker's share."""

from __future__ import annotations

import dataclasses

from ablation_suite.ablations import AUTO, is_path
from ablation_suite.ablations.levels import fields_varied
from ablation_suite.config import Config, parse_override
from ablation_suite.errors import UserError
from ablation_suite.loops.space import fit_to_run
from ablation_suite.stats.sequential import RULE_DEFAULTS


class UsageError(UserError):
    """A request the CLI (exit status 2) and the notebook API refuse."""


def resolve(
    ablation,
    label: str,
    command: str,
    overrides: dict,
    seeds: int | str | None = None,
    options: dict | None = None,
    rule: dict | None = None,
):
    """The ablation (with search ``options`` and the seeds applied and its search space fitted to the run), its
    resolved base Config, the most seeds a variant gets and what was adapted to the run
    (loops.space.fit_to_run), all validated. ``label`` names the ablation in messages (its name or file);
    ``overrides`` are Config fields (``--set``, dataset, epochs); ``seeds`` a number or "auto", whose decision
    ``rule`` may set rope, alpha, min_seeds and max_seeds."""
    options = {key: value for key, value in (options or {}).items() if value is not None}
    seeding = {key: value for key, value in {"seeds": seeds, **(rule or {})}.items() if value is not None}
    typed_rule = sorted(set(seeding) - {"seeds"})
    if typed_rule and seeding.get("seeds", ablation.seeds) != AUTO:  # typed, so refused even at its default value
        raise UsageError(
            f"{', '.join('--' + k.replace('_', '-') for k in typed_rule)} only act with seeds='auto' (the decision "
            f"rule); ablation {label!r} trains {seeding.get('seeds', ablation.seeds)} fixed seeds: add --seeds auto, "
            "or leave them out"
        )
    if seeding.get("seeds", AUTO) != AUTO and not set(seeding) - {"seeds"}:
        seeding.update(RULE_DEFAULTS)  # --seeds N replaces a file's "auto" and its rule
    if command == "search" and not ablation.searches:
        raise UsageError(
            f"ablation {label!r} has design {ablation.design!r}, not a search; run it with: ablation-suite run {label}"
        )
    if options and not ablation.searches:
        raise UsageError(
            f"{', '.join('--' + k.replace('_', '-') for k in options)} only apply to search designs; "
            f"ablation {label!r} has design {ablation.design!r}"
        )
    # validated again, e.g. --sampler grid with ranges, a rope without seeds="auto"
    ablation = dataclasses.replace(ablation, **options, **seeding)
    varied = {field: factor for factor, fields in fields_varied(ablation.factors).items() for field in fields}
    clash = sorted(set(overrides) & set(varied))
    if clash:
        where = label if is_path(label) else f"ablations/{label}.py"
        raise UsageError(
            f"{', '.join(clash)} is varied by factor {varied[clash[0]]!r} of ablation {label!r} "
            f"(levels {ablation.factors[varied[clash[0]]]}); edit {where} to change its levels"
        )
    if "seed" in overrides:
        raise UsageError("seed is set per cell; use --seeds N to choose how many seeds each variant gets")
    base = Config().replace(**ablation.base).replace(**overrides)
    seeds = ablation.seed_cap
    ablation, base, adapted = fit_to_run(ablation, base, fixed={*ablation.base, *overrides, *varied})
    ablation.configs(base, seeds)  # validates every cell
    return ablation, base, seeds, adapted


def overrides_of(settings, dataset=None, epochs=None) -> dict:
    """Config overrides from ``--set key=value`` texts and the dataset and epochs options."""
    overrides = dict(parse_override(text) for text in settings)
    for key, value in (("dataset", dataset), ("epochs", epochs)):
        if value is not None:
            overrides[key] = value
    return overrides


def check_before_writing(ablation, base, seeds: int, datasets=None) -> list[str]:
    """Every cell's data loads (into ``datasets``, the caller's training.caches.Datasets) and network builds, a
    search's sampler can run here (workers.preflight), and ABLATION_REUSE_TRACES, if set, says how many networks
    a worker keeps (training.reuse). Returns the protocol's warnings (workers.preflight), which the study records."""
    from ablation_suite.loops.space import make_sampler
    from ablation_suite.training.reuse import capacity
    from ablation_suite.workers.preflight import preflight

    try:
        capacity()
    except ValueError as error:
        raise UsageError(str(error)) from None
    warnings = preflight(ablation, base, seeds, datasets)
    if ablation.searches:
        make_sampler(ablation.sampler, ablation.search_space)  # a sampler that cannot run here fails now
    return warnings


def train_study(
    url: str,
    name: str,
    ablation,
    base,
    seeds: int,
    command: str,
    trackers=(),
    memory=None,
    log=print,
    caches=None,
    warnings=(),
    reuse: bool = True,
    fuse: str = "auto",
):
    """Create or resume the study (a different set-up is refused; a new one records the protocol's ``warnings``
    from check_before_writing) and train this worker's share of its cells with ``caches``
    (training.caches.Caches: what this process keeps between its cells), each cell taking the result of a finished
    twin in another study unless ``reuse`` is False (loops.reuse), cells trained side by side as ``fuse`` says
    (loops.fusing); returns the runner's Outcome."""
    from ablation_suite.loops import runner
    from ablation_suite.store import resume
    from ablation_suite.store.storage import backup_root
    from ablation_suite.workers.machine import hardware
    from ablation_suite.workers.memory import MemoryWatch

    study = resume.create_or_resume(url, name, ablation, base, command, hardware(), list(warnings))
    return runner.run_design(
        runner.Run(
            url,
            study,
            ablation,
            base,
            seeds,
            backup_root(url),
            list(trackers),
            log=log,
            memory=memory or MemoryWatch(),
            caches=caches if caches is not None else runner.Caches(),
            reuse=reuse,
            fuse=fuse,
        )
    )
