"""The documentation's reference pages, generated from the code at every build (an mkdocs hook).

A page asks for a generated part with a marker line of its own, ``<!-- reference: NAME -->``; ``on_page_markdown``
replaces it with ``PARTS[NAME]()``. An unknown marker fails the build, and so does a reference page that lost its
marker (``PAGES``), so no page can quietly stop being generated. The parts read what they describe:

- ``cli``: the argument parser of ``ablation-suite`` (``ablation_suite.cli.arguments.parser``);
- ``config``: every field of ``Config``, its type, default and comment from its source, the values
  ``__post_init__`` checks, and when it acts (``config.rules.IDLE_UNLESS``);
- ``catalogue``: every named ablation of ``ablations/``, loaded as ``ablation-suite run`` loads it;
- ``zoo``: every registered network, built at 32x32x3 with 10 classes, with its parameters and multiply-adds;
- ``benchmarks``: ``benchmarks/results/latest.json`` through ``benchmarks.report.table``;
- ``modules``: every module of the package with its docstring's first sentence, and the dependency arrows
  (the table ``ALLOWED`` of ``tests/package/test_architecture.py`` and the imports each part makes).

Nothing is written into ``docs/``: the pages on disk hold the prose and the markers.
"""

from __future__ import annotations

import argparse
import ast
import collections
import dataclasses
import inspect
import json
import re
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^<!-- reference: ([a-z_]+) -->$", re.M)
ZOO_SHAPE, ZOO_CLASSES = (32, 32, 3), 10
DASH = "–"


def cell(text) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def code(value) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return f"`{text}`".replace("|", "\\|")


def first_sentence(doc: str | None) -> str:
    """The first sentence of a docstring: up to a full stop that ends it (before a capital or the end)."""
    text = " ".join((doc or "").split("\n\n")[0].split())
    match = re.match(r"(.+?\.)(?=\s+[A-Z`(]|$)", text)
    return match.group(1) if match else text


# --- the command line ------------------------------------------------------------------------------------------


def command_parser() -> argparse.ArgumentParser:
    """The parser ``ablation-suite`` parses with (handlers are not needed to read it)."""
    from ablation_suite.cli.arguments import parser

    return parser(collections.defaultdict(lambda: None))


def subcommands(top: argparse.ArgumentParser) -> dict[str, tuple[str, argparse.ArgumentParser]]:
    """Command name -> (its one-line help, its parser), in the parser's order."""
    [action] = [a for a in top._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
    return {name: (helps.get(name, ""), sub) for name, sub in action.choices.items()}


def options(sub: argparse.ArgumentParser) -> list[argparse.Action]:
    """The documented arguments of one command (help not suppressed), positionals first."""
    return [a for a in sub._actions if a.help != argparse.SUPPRESS and not isinstance(a, argparse._HelpAction)]


def _option_default(action: argparse.Action) -> str:
    if isinstance(action, (argparse._StoreTrueAction,)):
        return "off"
    if action.default in (None, argparse.SUPPRESS, [], {}) or action.required:
        return "required" if action.required and action.option_strings else DASH
    return code(action.default)


def _option_form(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    if action.nargs == 0:
        return ", ".join(f"`{flag}`" for flag in action.option_strings)
    value = action.metavar or (
        "{" + ",".join(map(str, action.choices)) + "}" if action.choices else action.dest.upper()
    )
    return ", ".join(f"`{flag} {value}`" for flag in action.option_strings)


def cli_page(top: argparse.ArgumentParser | None = None) -> str:
    top = top or command_parser()
    commands = subcommands(top)
    lines = [
        f"`ablation-suite`: {cell(top.description)} It takes one of {len(commands)} commands; "
        "`python study.py` and `python -m ablation_suite` are the same command. "
        "`--verbose` goes before or after the command.",
        "",
        "| command | what it does |",
        "|---|---|",
        *(f"| [`{name}`](#{name}) | {cell(help_text)} |" for name, (help_text, _) in commands.items()),
        "",
    ]
    for name, (help_text, sub) in commands.items():
        formatter = sub._get_formatter()
        usage = " ".join(sub.format_usage().split()).removeprefix("usage: ")
        lines += [f"## `{name}` {{#{name}}}", "", help_text[:1].upper() + help_text[1:] + ".", ""]
        lines += ["```text", _wrap(usage), "```", ""]
        lines += ["| argument | default | meaning |", "|---|---|---|"]
        for action in options(sub):
            meaning = formatter._expand_help(action) if action.help else ""
            if action.choices and not action.metavar:
                meaning += ("; " if meaning else "") + "one of " + ", ".join(f"`{c}`" for c in action.choices)
            lines.append(f"| {_option_form(action)} | {_option_default(action)} | {cell(meaning)} |")
        lines.append("")
    return "\n".join(lines)


def _wrap(usage: str, width: int = 88) -> str:
    out, line = [], ""
    for word in re.split(r" (?=[\[-]|[A-Z]+$)", usage):
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = "    " + word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*out, line])


# --- Config ----------------------------------------------------------------------------------------------------


def config_comments() -> tuple[dict[str, str], dict[str, str]]:
    """Field -> the comments its source gives it (the block above it and the rest of its lines), and field ->
    the section it opens (``# data``, ``# model``, ...): read from ``Config``'s source."""
    from ablation_suite.config import Config

    source, start = inspect.getsourcelines(Config)
    text = "".join(source)
    tree = ast.parse(text)
    body = [node for node in tree.body[0].body if isinstance(node, ast.AnnAssign)]
    lines = text.splitlines()
    comments, sections = {}, {}
    for index, node in enumerate(body):
        name = node.target.id
        above, row = [], node.lineno - 2
        while row >= 0 and lines[row].strip().startswith("#"):
            above.insert(0, lines[row].strip()[1:].strip())
            row -= 1
        if above and re.fullmatch(r"[a-z]+", above[0]):  # a one-word line opens a section
            sections[name] = above.pop(0)
        own = [_comment(line) for line in lines[node.lineno - 1 : node.end_lineno]]
        after = []
        if index == len(body) - 1:  # the last field's comment may run on below it
            row = node.end_lineno
            while row < len(lines) and lines[row].strip().startswith("#"):
                after.append(lines[row].strip()[1:].strip())
                row += 1
        comments[name] = " ".join(part for part in [*above, *own, *after] if part)
    return comments, sections


def _comment(line: str) -> str:
    """The comment at the end of a source line (a ``#`` outside a string)."""
    for token in _tokens(line):
        if token.startswith("#"):
            return token[1:].strip()
    return ""


def _tokens(line: str) -> list[str]:
    import io
    import tokenize

    try:
        return [t.string for t in tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [line[line.index("#") :]] if "#" in line else []


def config_checks() -> dict[str, list[str]]:
    """Field -> what ``Config.__post_init__`` checks of its value: the names it must be one of, its range."""
    import ablation_suite.config as config

    tree = ast.parse(textwrap.dedent(inspect.getsource(config.Config.__post_init__)))
    checks: dict[str, list[str]] = collections.defaultdict(list)

    def visit(node, names=None):
        if isinstance(node, ast.For) and isinstance(node.iter, ast.Tuple):
            for element in node.iter.elts:
                for child in node.body:
                    visit(child, {node.target.id: element.value})
            return
        for child in ast.iter_child_nodes(node):
            visit(child, names)
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            return
        args = node.args
        if not args:
            return
        first = args[0]
        field = first.value if isinstance(first, ast.Constant) else (names or {}).get(getattr(first, "id", None))
        if not isinstance(field, str):
            return
        literal = [a.value for a in args[2:] if isinstance(a, ast.Constant)]
        keywords = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
        if node.func.id == "check_choice" and isinstance(args[2], ast.Name):
            allowed = getattr(config, args[2].id)
            checks[field].append("one of " + ", ".join(code(value) for value in allowed))
        elif node.func.id == "_check_range" and len(literal) == 2:
            inclusive = keywords.get("inclusive", True)
            low_inclusive = keywords.get("low_inclusive", inclusive)
            checks[field].append(
                f"in {'[' if low_inclusive else '('}{literal[0]}, {literal[1]}{']' if inclusive else ')'}"
            )
        elif node.func.id == "_check_at_least" and len(literal) == 1:
            checks[field].append(f"at least {literal[0]}")
        elif node.func.id == "layer_scope":
            checks[field].append(
                '`"all"`, or roles from ' + ", ".join(code(r) for r in config.LAYER_ROLES) + " joined by `+`"
            )

    visit(tree)
    return checks


def acting(name: str) -> str:
    """When the knob ``name`` acts, in words, from IDLE_UNLESS."""
    from ablation_suite.config import IDLE_UNLESS

    acts = IDLE_UNLESS.get(name)
    if acts is None:
        return ""
    reads = ", ".join(f"[`{field}`](#{field})" for field in acts.reads)
    return (
        f"Whether it acts depends on {reads}. Set away from its default where it acts in no cell of a study, it is "
        f"refused ({acts.why}); to make it act, {acts.fix}."
    )


def config_page() -> str:
    from ablation_suite.config import IDLE_UNLESS, Config

    comments, sections = config_comments()
    checks = config_checks()
    conditions = collections.defaultdict(list)
    for knob, acts in IDLE_UNLESS.items():
        for field in acts.reads:
            conditions[field].append(knob)
    fields = dataclasses.fields(Config)
    lines = [
        f"`Config` has {len(fields)} fields, {len(IDLE_UNLESS)} of which act only under a condition "
        "(`IDLE_UNLESS`). Set them with `--set KEY=VALUE`, in an ablation's `base`, or as the levels of a factor.",
        "",
        "| field | type | default | acts |",
        "|---|---|---|---|",
        *(
            f"| [`{f.name}`](#{f.name}) | {f.type} | {code(f.default)} | "
            f"{'only with ' + ', '.join(IDLE_UNLESS[f.name].reads) if f.name in IDLE_UNLESS else 'always'} |"
            for f in fields
        ),
        "",
    ]
    for f in fields:
        if f.name in sections:
            lines += [f"## {sections[f.name].capitalize()}", ""]
        lines += [f"### `{f.name}` {{#{f.name}}}", "", f"**{f.type}**, default {code(f.default)}.", ""]
        if comments.get(f.name):
            lines += [comments[f.name].rstrip(".") + ".", ""]
        if checks.get(f.name):
            lines += ["Allowed: " + "; ".join(checks[f.name]) + ".", ""]
        lines += [acting(f.name) or "Acts in every run (not in `IDLE_UNLESS`).", ""]
        if conditions.get(f.name):
            lines += ["Decides whether these act: " + ", ".join(f"[`{k}`](#{k})" for k in conditions[f.name]) + ".", ""]
    return "\n".join(lines)


# --- the catalogue ---------------------------------------------------------------------------------------------


def catalogue_page() -> str:
    from ablation_suite import ablations
    from ablation_suite.ablations import levels

    loaded = {name: ablations.load(name) for name in ablations.names()}
    lines = [
        f"{len(loaded)} named ablations, one file each in `ablations/`. The first level of a factor is its base level. "
        "`ablation-suite show NAME` prints an ablation's cells, budget, network sizes and training protocol.",
        "",
        "| ablation | question | design | factors | seeds |",
        "|---|---|---|---|---|",
    ]
    for name, ablation in loaded.items():
        factors = ", ".join(f"{factor} ({len(values)})" for factor, values in ablation.factors.items()) or DASH
        lines.append(
            f"| [`{name}`](#{name}) | {cell(first_sentence(ablation.question))} | {ablation.design} | "
            f"{cell(factors)} | {ablation.seeds} |"
        )
    lines.append("")
    for name, ablation in loaded.items():
        question = " ".join(ablation.question.split())
        lines += [f"## `{name}` {{#{name}}}", "", question, ""]
        facts = [f"design `{ablation.design}`"]
        if ablation.adaptive:
            facts.append(
                f"seeds `auto` ({ablation.min_seeds} to {ablation.max_seeds} per level, margin {ablation.rope} pp, "
                f"alpha {ablation.alpha} over the {ablation.family})"
            )
        else:
            facts.append(f"{ablation.seeds} seeds")
        try:
            facts.append(f"{ablation.trained_variants()} variant(s) trained per seed")
        except Exception as error:  # a chain's later stages depend on its winners
            facts.append(f"variants decided as it runs ({type(error).__name__})")
        if ablation.searches:
            facts.append(
                f"search: {ablation.n_trials} trials, sampler `{ablation.sampler}`, pruner `{ablation.pruner}`"
            )
        lines += ["- " + "; ".join(facts) + "."]
        if ablation.source:
            lines.append(f"- Source: {cell(ablation.source)}.")
        lines.append(
            "- Base: " + (", ".join(f"`{k}={v}`" for k, v in ablation.base.items()) or "the Config defaults") + "."
        )
        if ablation.stages:
            for index, stage in enumerate(ablation.stages, 1):
                lines.append(f"- Stage {index}:")
                lines += [_factor_line(factor, values, levels, "    ") for factor, values in stage.items()]
        else:
            lines += [_factor_line(factor, values, levels, "") for factor, values in ablation.factors.items()]
        for field, spec in ablation.search_space.items():
            lines.append(f"- Searched: `{field}` over {code(spec)}.")
        lines.append("")
        if ablation.notes:
            lines += [f"*Notes.* {' '.join(ablation.notes.split())}", ""]
    return "\n".join(lines)


def _factor_line(factor: str, values: list, levels, indent: str) -> str:
    described = "; ".join(f"`{levels.describe(factor, level).split('=', 1)[1]}`" for level in values)
    return f"{indent}- Factor `{factor}`: {cell(described)}."


# --- the zoo ---------------------------------------------------------------------------------------------------

_ZOO: dict = {}  # built once per process (mkdocs serve rebuilds)


def zoo_rows() -> list[tuple]:
    """(name, family module, parameters, multiply-adds, published bn, first docstring line) per network."""
    if not _ZOO:
        from ablation_suite.training.quiet import prepare_tensorflow

        prepare_tensorflow()
        import keras

        from ablation_suite import baselines
        from ablation_suite.baselines.cost import multiply_adds, parameters
        from ablation_suite.config import Config

        for name in baselines.names():
            builder = baselines._REGISTRY[name]
            model = baselines.create(name, ZOO_SHAPE, ZOO_CLASSES, Config(model=name))
            _ZOO[name] = (
                name,
                builder.__module__.rsplit(".", 1)[-1],
                parameters(model),
                multiply_adds(model),
                baselines._PLACEMENT[name],
                baselines.describe(name),
            )
            del model
            keras.utils.clear_session()
    return list(_ZOO.values())


def zoo_page() -> str:
    rows = zoo_rows()
    shape = "x".join(map(str, ZOO_SHAPE))
    lines = [
        f"{len(rows)} networks, each built here at {shape} with {ZOO_CLASSES} classes and the Config's defaults "
        '(`bn="default"`: as published). Parameters are the trainable weights; multiply-adds are per image '
        "(`baselines/cost.py`, the papers' FLOPs). The description is the builder's docstring, whose own counts "
        "may be for another input or class count, as it says.",
        "",
        "| network | family | parameters | multiply-adds | published normalisation | description |",
        "|---|---|--:|--:|---|---|",
        *(
            f"| `{name}` | `{family}` | {params:,} | {madds / 1e6:,.1f} M | {bn} | {cell(doc)} |"
            for name, family, params, madds, bn, doc in rows
        ),
        "",
    ]
    return "\n".join(lines)


# --- the benchmarks --------------------------------------------------------------------------------------------


def benchmarks_page() -> str:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # benchmarks/ is a top-level package of the checkout, not installed
    from benchmarks.report import table

    results = json.loads((REPO / "benchmarks" / "results" / "latest.json").read_text(encoding="utf-8"))
    return table(results)


# --- the modules -----------------------------------------------------------------------------------------------


def allowed_arrows() -> dict[str, set]:
    """The architecture test's table ALLOWED (part -> what it may import), read without importing the test."""
    tree = ast.parse((REPO / "tests" / "package" / "test_architecture.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["ALLOWED"]:
            return {key: set(value) for key, value in ast.literal_eval(node.value).items()}
    raise LookupError("tests/package/test_architecture.py has no ALLOWED table")


def _imports_of_ours(path: Path) -> set[str]:
    """What ``path`` imports of ours, as "part" and "part.module", as the architecture test reads it."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [f"{node.module}.{alias.name}" for alias in node.names]  # a name may be a module
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            pieces = module.split(".")
            if pieces[0] == "ablation_suite" and len(pieces) > 1:
                names.add(".".join(pieces[1:3]))
    return names


def _shown(names: set[str], part: str, allowed: dict[str, set], parts) -> list[str]:
    """A part's imports by part, or by module where ALLOWED names that module alone (``store.record``)."""
    shown = {name if name in allowed.get(part, ()) else name.split(".")[0] for name in names}
    return sorted(name for name in shown if name.split(".")[0] in parts and name.split(".")[0] != part)


def package_parts() -> dict[str, list[Path]]:
    """Part of ``ablation_suite`` (a module or a package, as the architecture test counts them) -> its files."""
    import ablation_suite

    package = Path(ablation_suite.__file__).parent
    parts = {}
    for path in sorted(package.iterdir()):
        if path.suffix == ".py" and path.stem != "__init__":
            parts[path.stem] = [path]
        elif (path / "__init__.py").is_file():
            parts[path.name] = sorted(path.glob("*.py"))
    return parts


def _front_first(allowed: dict[str, set], parts) -> list[str]:
    return sorted(parts, key=lambda part: (len(allowed.get(part, ())), part), reverse=True)


def arrows_page() -> str:
    """The table ALLOWED as one line per part, front ends first."""
    allowed = allowed_arrows()
    order = _front_first(allowed, allowed)
    width = max(map(len, order))
    rows = [f"{part:<{width}} -> {', '.join(sorted(allowed[part])) or 'nothing of ours'}" for part in order]
    return "\n".join(["```text", *rows, "```"])


def modules_page() -> str:
    import ablation_suite

    package = Path(ablation_suite.__file__).parent
    allowed = allowed_arrows()
    parts = package_parts()
    lines = [
        "The parts of `ablation_suite`, front ends first. *May import* is the table `ALLOWED` of "
        "`tests/package/test_architecture.py`, which fails on an import that crosses it; *imports* is what the "
        "part's files import of ours today.",
        "",
        "| part | may import | imports |",
        "|---|---|---|",
    ]
    details = []
    for part in _front_first(allowed, parts):
        files = parts[part]
        used = _shown(set().union(*(_imports_of_ours(path) for path in files)), part, allowed, parts)
        may = ", ".join(sorted(allowed[part])) or DASH if part in allowed else "(not in `ALLOWED`)"
        lines.append(f"| [`{part}`](#{part.strip('_')}) | {may} | {', '.join(used) or DASH} |")
        single = package / f"{part}.py"
        where = f"`ablation_suite/{part}.py`" if single.is_file() else f"`ablation_suite/{part}/`"
        if (package / part).is_symlink():
            where += f", a link to `{(package / part).readlink().as_posix().lstrip('./')}/` at the top level"
        details += [f"## `{part}` {{#{part.strip('_')}}}", "", where, ""]
        named = []
        for path in files:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
            if part == "ablations" and not path.stem.startswith("_") and path.stem not in ("designs", "levels"):
                named.append(path.stem)
                continue
            details.append(f"- `{path.name}`: {cell(first_sentence(doc)) or DASH}")
        if named:
            details.append(f"- one file per named ablation ({len(named)}): see [the catalogue](catalogue.md)")
        details.append("")
    return "\n".join(lines + [""] + details)


PARTS = {
    "cli": cli_page,
    "config": config_page,
    "catalogue": catalogue_page,
    "zoo": zoo_page,
    "benchmarks": benchmarks_page,
    "modules": modules_page,
    "arrows": arrows_page,
}
# The page that must carry each marker.
PAGES = {f"reference/{name}.md": name for name in PARTS if name != "arrows"} | {"explanation/architecture.md": "arrows"}


def expand(markdown: str, page: str) -> str:
    """``markdown`` with every marker replaced by its generated part; an unknown or missing marker fails."""
    wanted = PAGES.get(page)
    found = MARKER.findall(markdown)
    unknown = [name for name in found if name not in PARTS]
    if unknown:
        raise ValueError(f"{page}: unknown reference marker(s) {unknown}; known: {', '.join(PARTS)}")
    if wanted and wanted not in found:
        raise ValueError(f"{page} lost its marker <!-- reference: {wanted} -->: its generated part would be missing")
    return MARKER.sub(lambda match: PARTS[match.group(1)]().rstrip("\n"), markdown)


def on_page_markdown(markdown, page, config, files):  # mkdocs hook
    from mkdocs.exceptions import PluginError

    try:
        return expand(markdown, page.file.src_uri)
    except ValueError as error:
        raise PluginError(str(error)) from None


def on_files(files, config):  # mkdocs hook: every generated page must exist on disk, with its marker
    from mkdocs.exceptions import PluginError

    missing = [path for path in PAGES if files.get_file_from_path(path) is None]  # PAGES: page -> its marker
    if missing:
        raise PluginError(f"reference pages missing from docs/: {missing}")
    return files
