"""The string grammars of Config knobs that are more than one name: dropout schedules, augmentation pipelines and
layer scopes. Each returns what the text means, or refuses it naming the grammar; one spelling per setting, so a
study never stores one level under two names. ``config`` re-exports every name."""

from __future__ import annotations

from ablation_suite.config.names import AUGMENTATION_NAMES, LAYER_ROLES, ConfigError

DROPOUT_OWN, DROPOUT_OFF = "default", "off"  # Config.dropout's two words


def dropout_rates(schedule: str, blocks: int) -> list[float]:
    """Dropout rate per site from the schedule grammar (see Config.dropout); "default" has none of its own here
    (baselines.blocks.block_dropout puts the network's own schedule in its place)."""
    text = schedule.strip()
    grammar = '"default" (the network\'s own), "off", "0.3", "0.2,0.5,0.7" (one rate per site) or "linear:FIRST:LAST"'
    if text == "none":  # it meant "the network's own", and read as "no dropout": refused, naming both
        raise ConfigError(
            'dropout="none" is ambiguous and no longer accepted: write dropout="default" for the network\'s own '
            'dropout (what "none" did) or dropout="off" for no dropout at all'
        )
    try:
        if text in (DROPOUT_OWN, DROPOUT_OFF):
            rates = [0.0] * blocks
        elif text.startswith("linear:"):
            _, first_text, last_text = text.split(":")
            first, last = float(first_text), float(last_text)
            step = (last - first) / (blocks - 1) if blocks > 1 else 0.0
            rates = [first + step * i for i in range(blocks)]
        elif "," in text:
            rates = [float(part) for part in text.split(",")]
        else:
            rates = [float(text)] * blocks
    except ValueError:
        raise ConfigError(f"dropout={schedule!r} is not a schedule; write {grammar}") from None
    ends = (first, last) if text.startswith("linear:") else rates
    if text not in (DROPOUT_OWN, DROPOUT_OFF) and not any(ends):  # one spelling per setting: a study never stores
        raise ConfigError(f'dropout={schedule!r} places no dropout: write dropout="off"')  # one level twice
    for rate in rates:
        if not 0.0 <= rate < 1.0:
            raise ConfigError(f"dropout={schedule!r}: every rate must be in [0, 1), got {rate}")
    return rates


def augmentation_steps(text: str) -> tuple[str, ...]:
    """The augmentation names of the Config.augmentation grammar, in the order they are applied."""
    if text == "none":
        return ()
    return _joined("augmentation", text, AUGMENTATION_NAMES, "none", "flip+shift+cutout")


def layer_scope(name: str, text: str) -> tuple[str, ...]:
    """The LAYER_ROLES a Config.initializer_scope or regularizer_scope names ("all": every one)."""
    if text == "all":
        return LAYER_ROLES
    return _joined(name, text, LAYER_ROLES, "all", "conv+dense", every="all")


def _joined(knob: str, text: str, names: tuple, word: str, example: str, every: str = "") -> tuple[str, ...]:
    """Names from ``names`` joined by "+" in that order (``word`` is the grammar's other spelling, ``every`` the one
    for all the names): one spelling per set, so a study never stores one level under two names."""
    parts = tuple(text.split("+"))
    unknown = [part for part in parts if part not in names]
    if unknown:
        raise ConfigError(
            f'{knob}={text!r}: {", ".join(map(repr, unknown))} not known; write "{word}" or names from '
            f"{', '.join(names)} joined by '+', e.g. \"{example}\""
        )
    canonical = "+".join(sorted(set(parts), key=names.index))
    if every and canonical == "+".join(names):
        canonical = every
    if text != canonical:
        raise ConfigError(f"{knob}={text!r}: name each once, in the order {', '.join(names)}; write {canonical!r}")
    return parts
