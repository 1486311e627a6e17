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
    steps = tuple(text.split("+"))
    unknown = [step for step in steps if step not in AUGMENTATION_NAMES]
    if unknown:
        raise ConfigError(
            f'augmentation={text!r}: {", ".join(map(repr, unknown))} not known; write "none" or '
            f"names from {', '.join(AUGMENTATION_NAMES)} joined by '+', e.g. \"flip+shift+cutout\""
        )
    canonical = "+".join(sorted(set(steps), key=AUGMENTATION_NAMES.index))
    if text != canonical:  # one spelling per pipeline, so a study never stores one level under two names
        raise ConfigError(
            f"augmentation={text!r}: name each augmentation once, in the order they are applied "
            f"({', '.join(AUGMENTATION_NAMES)}); write {canonical!r}"
        )
    return steps


def layer_scope(name: str, text: str) -> tuple[str, ...]:
    """The LAYER_ROLES a Config.initializer_scope or regularizer_scope names ("all": every one)."""
    if text == "all":
        return LAYER_ROLES
    roles = tuple(text.split("+"))
    unknown = [role for role in roles if role not in LAYER_ROLES]
    if unknown:
        raise ConfigError(
            f'{name}={text!r}: {", ".join(map(repr, unknown))} not known; write "all" or roles from '
            f"{', '.join(LAYER_ROLES)} joined by '+', e.g. \"conv+dense\" (not the logits nor shortcuts)"
        )
    canonical = "+".join(sorted(set(roles), key=LAYER_ROLES.index))
    if canonical == "+".join(LAYER_ROLES):
        canonical = "all"
    if text != canonical:  # one spelling per scope, so a study never stores one level under two names
        raise ConfigError(
            f"{name}={text!r}: name each role once, in the order {', '.join(LAYER_ROLES)}; write {canonical!r}"
        )
    return roles
