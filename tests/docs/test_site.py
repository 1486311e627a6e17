"""The documentation site: its reference pages are generated from the code (docs/hooks/reference.py) and cover all
of it, a page that loses its generated part fails the build, the README's links land, and `mkdocs build --strict`
(what `make docs` and CI run) passes and fails on a broken link."""

import argparse
import dataclasses
import importlib.util
import os
import re
import subprocess
import sys

import pytest
from common import REPO

from ablation_suite import ablations
from ablation_suite.config import IDLE_UNLESS, Acts, Config


def _hook():
    spec = importlib.util.spec_from_file_location("docs_reference_hook", REPO / "docs" / "hooks" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _hook()


def _options_missing(top: argparse.ArgumentParser, page: str) -> list[str]:
    """Every documented option of every command that ``page`` does not show under that command's heading."""
    missing = []
    for name, (_, sub) in reference.subcommands(top).items():
        section = page.split(f"## `{name}` {{#{name}}}", 1)[1].split("\n## ", 1)[0]
        for action in reference.options(sub):
            for flag in action.option_strings or [action.metavar or action.dest]:
                if f"`{flag}" not in section:
                    missing.append(f"{name} {flag}")
    return missing


@pytest.mark.unit
def test_the_cli_page_shows_every_command_and_option_of_the_parser():
    top = reference.command_parser()
    page = reference.cli_page(top)
    assert not _options_missing(top, page)
    assert set(reference.subcommands(top)) >= {"list", "show", "run", "search", "status", "report", "export"}
    # the page follows the parser: an option added to it appears, and a page made before it is caught
    run = reference.subcommands(top)["run"][1]
    run.add_argument("--brand-new-option", default=7, help="an option the parser just gained")
    assert _options_missing(top, page) == ["run --brand-new-option"]
    fresh = reference.cli_page(top)
    assert not _options_missing(top, fresh) and "an option the parser just gained" in fresh and "`7`" in fresh


@pytest.mark.unit
def test_the_config_page_shows_every_field_with_its_default_and_when_it_acts(monkeypatch):
    page = reference.config_page()
    comments, sections = reference.config_comments()
    for field in dataclasses.fields(Config):
        block = page.split(f"### `{field.name}` {{#{field.name}}}", 1)[1].split("\n### ", 1)[0]
        assert f"**{field.type}**, default {reference.code(field.default)}." in block, field.name
        if field.name in IDLE_UNLESS:
            assert IDLE_UNLESS[field.name].why in block and IDLE_UNLESS[field.name].fix in block, field.name
        else:
            assert "Acts in every run" in block, field.name
    # the comments of the source are the meanings: every field that has one shows it, and the sections
    assert comments["bn_momentum"].startswith("moving-statistics momentum") and comments["bn_momentum"] in page
    assert comments["steps_per_execution"].endswith("(benchmarks/ measures the gain)")  # runs on below the field
    assert list(sections.values()) == ["data", "model", "optimisation", "performance"]
    assert (
        "Allowed: one of `'sgd'`, `'rmsprop'`, `'adam'`" in page and "Allowed: in [0.0, 1.0)." in page
    )  # from __post_init__'s checks
    # a knob that gains a condition shows it at the next build
    monkeypatch.setitem(IDLE_UNLESS, "epochs", Acts(("seed",), lambda c: True, "a reason to test", "a fix to test"))
    changed = reference.config_page()
    assert "a reason to test" in changed and "a reason to test" not in page


@pytest.mark.unit
def test_the_catalogue_page_shows_every_named_ablation_with_its_factors():
    page = reference.catalogue_page()
    for name in ablations.names():
        ablation = ablations.load(name)
        block = page.split(f"## `{name}` {{#{name}}}", 1)[1].split("\n## ", 1)[0]
        assert " ".join(ablation.question.split()) in block, name
        for factor in ablation.factors:
            assert f"Factor `{factor}`" in block, (name, factor)


@pytest.mark.unit
def test_the_modules_page_lists_every_module_of_the_package():
    page = reference.modules_page()
    for part, files in reference.package_parts().items():
        assert f"## `{part}`" in page, part
        named = set(ablations.names()) if part == "ablations" else set()
        for path in files:
            assert path.stem in named or f"- `{path.name}`:" in page, path
    arrows = reference.arrows_page()
    assert arrows.count(" -> ") == len(reference.allowed_arrows())


@pytest.mark.unit
def test_the_benchmark_page_is_latest_json():
    import json

    from benchmarks.report import table

    results = json.loads((REPO / "benchmarks" / "results" / "latest.json").read_text())
    assert reference.benchmarks_page() == table(results)
    assert results["date"] in reference.benchmarks_page()


@pytest.mark.unit
def test_every_reference_page_carries_its_marker_and_a_lost_one_fails():
    for page, name in reference.PAGES.items():
        assert f"<!-- reference: {name} -->" in (REPO / "docs" / page).read_text(), page
    with pytest.raises(ValueError, match="lost its marker"):
        reference.expand("# Config fields\n\nno table here\n", "reference/config.md")
    with pytest.raises(ValueError, match="unknown reference marker"):
        reference.expand("<!-- reference: nothing_by_this_name -->\n", "how-to/everyday.md")
    assert "| field | type | default | acts |" in reference.expand(
        "<!-- reference: config -->\n", "reference/config.md"
    )


@pytest.mark.unit
def test_the_readme_links_land_on_pages_of_the_site():
    readme = (REPO / "README.md").read_text()
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    assert len(links) > 10
    for link in links:
        assert (REPO / link).is_file(), link
    nav = (REPO / "mkdocs.yml").read_text()
    for link in links:
        assert link.removeprefix("docs/") in nav, link  # every page the README names is in the site's nav


def _build(config, site_dir):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(config),
            "--site-dir",
            str(site_dir),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )


def test_the_site_builds_strict_with_every_reference_page(tmp_path):
    """What `make docs` and CI run (about 40 s: the zoo builds every network)."""
    done = _build(REPO / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stderr[-3000:]
    config_html = (tmp_path / "site" / "reference" / "config" / "index.html").read_text()
    for field in dataclasses.fields(Config):
        assert f'id="{field.name}"' in config_html, field.name
    zoo_html = (tmp_path / "site" / "reference" / "zoo" / "index.html").read_text()
    from ablation_suite import baselines

    for name in baselines.names():
        assert f"<code>{name}</code>" in zoo_html, name
    assert "<!-- reference:" not in config_html + zoo_html


def test_a_strict_build_fails_on_a_broken_link(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n\nSee [the guide](guide.md).\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\ntheme:\n  name: material\n  font: false\n")
    done = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert done.returncode != 0 and "guide.md" in done.stderr
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n")
    assert _build(tmp_path / "mkdocs.yml", tmp_path / "site").returncode == 0
