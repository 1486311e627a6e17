"""The suite installed beside a researcher's own code: a fresh virtual environment gets the suite's wheel (and
nothing else at the top of site-packages), and its console script, run from a project folder with its own
``config.py``, ``training/``, ``reports/`` and ``utils.py``, trains a question file and a network file that
import those modules, then renders the report. Before the one import name, the network got the suite's
``config`` and failed with "module 'config' has no attribute 'WIDTH'".

The fresh environment borrows the test environment's third-party packages through a .pth file (installing
TensorFlow again would download gigabytes); the suite itself is a real, non-editable install of its wheel."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

import pandas as pd
import pytest
from common import REPO

pytestmark = pytest.mark.e2e

OLD_TOP_LEVEL = {
    "config",
    "training",
    "driver",
    "reports",
    "ablations",
    "baselines",
    "study",
    "study_api",
    "benchmarks",
    "stats",
    "store",
    "loops",
    "workers",
    "cli",
    "api",
    "errors",
    "userfiles",
}

PROJECT = {
    "config.py": "WIDTH = 7  # the project's own settings module, as most research code has\n",
    "utils.py": "def describe(width):\n    return f'tiny net, {width} filters'\n",
    "training/__init__.py": "",
    "training/layers.py": textwrap.dedent("""\
        import keras
        import config

        def features(x):
            return keras.layers.Conv2D(config.WIDTH, 3, padding="same", activation="relu")(x)
        """),
    "reports/__init__.py": "TITLE = 'my lab report'  # a reports package of the project's own\n",
    "models.py": textwrap.dedent("""\
        import keras
        import config
        from training.layers import features
        from utils import describe
        from ablation_suite.baselines.blocks import logits

        def tiny(input_shape, num_classes, cfg):
            inputs = keras.Input(input_shape)
            x = keras.layers.GlobalAveragePooling2D()(features(inputs))
            return keras.Model(inputs, logits(x, num_classes, cfg), name=describe(config.WIDTH).replace(' ', '_')
                               .replace(',', ''))
        """),
    "q.py": textwrap.dedent('''\
        """Does a larger learning rate help my tiny network?"""
        import config
        from reports import TITLE
        from ablation_suite import Ablation

        assert config.WIDTH == 7 and TITLE == "my lab report"
        ABLATION = Ablation(question=__doc__, base=dict(model="models.py:tiny", train_size=200),
                            factors=dict(learning_rate=[0.001, 0.01]), seeds=1)
        '''),
}


# What the fresh environment's processes get: not a PYTHONPATH (or storage) this test process was given, which would
# show them a checkout's ablation_suite (and its egg-info, which pip takes for the suite already installed).
CLEAN = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "ABLATION_STORAGE")}


def tracked_tree(destination: Path) -> Path:
    """The working tree's tracked and new files (not .venv, runs/, build/), symlinks kept as links."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    for name in filter(None, listed):
        source, target = REPO / name, destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
    return destination


@pytest.fixture(scope="module")
def fresh_environment(tmp_path_factory) -> Path:
    """A new virtual environment with the suite's wheel installed (its dependencies borrowed, see above)."""
    root = tmp_path_factory.mktemp("install")
    source = tracked_tree(root / "source")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(root / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
        env=CLEAN,
    )
    [wheel] = (root / "dist").glob("ablation_suite-*.whl")
    environment = root / "fresh"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=CLEAN,
    ).stdout.strip()
    Path(site, "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # --force-reinstall: the borrowed packages include the test environment's own (editable) ablation-suite, of
    # the same version, which pip would otherwise take as installed already
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", "--force-reinstall", str(wheel)],
        capture_output=True,
        text=True,
        env=CLEAN,
    )
    assert installed.returncode == 0 and "Successfully installed ablation-suite" in installed.stdout, installed
    return environment


def test_the_wheel_puts_one_name_at_the_top_of_site_packages(fresh_environment):
    [record] = fresh_environment.glob("lib/python*/site-packages/ablation_suite-*.dist-info/RECORD")
    tops = {line.split(",")[0].split("/")[0] for line in record.read_text().splitlines()}
    assert {top for top in tops if not top.endswith(".dist-info") and top != ".."} == {"ablation_suite"}
    installed = record.parent.parent / "ablation_suite"
    for catalogue in ("ablations", "baselines", "reports"):  # linked into the package in the checkout, files here
        assert (installed / catalogue / "__init__.py").is_file() and not (installed / catalogue).is_symlink()
    assert (fresh_environment / "bin" / "ablation-suite").is_file()


def test_the_console_script_runs_a_project_of_its_own_beside_the_suite(fresh_environment, tmp_path):
    project = tmp_path / "my_project"
    for name, text in PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    git = ["git", "-C", str(project), "-c", "user.name=me", "-c", "user.email=me@lab"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "my project"], check=True)
    mine = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    command = str(fresh_environment / "bin" / "ablation-suite")
    storage = []  # the default, runs/studies.db in the project folder
    env = CLEAN
    run = subprocess.run(
        [command, "run", "q.py", "--dataset", "digits", "--epochs", "1", *storage],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "2 completed" in run.stdout and "0 failed" in run.stdout
    report = subprocess.run(
        [command, "report", "q", *storage], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    assert report.returncode == 0, report.stderr[-3000:]
    page = project / "runs" / "reports" / "q" / "index.html"
    assert page.is_file() and "Does a larger learning rate help my tiny network?" in page.read_text()
    # provenance names the project's commit, and no commit for the installed suite (not the project's either)
    assert f"<td>{mine}</td>" in page.read_text() and page.read_text().count(mine) == 1
    # the network was the project's own, 7 filters wide from the project's config.py: a 3x3 convolution of one
    # channel (7 * 9 + 7 parameters) and the logits over 10 classes (7 * 10 + 10)
    exported = subprocess.run(
        [command, "export", "q", *storage, "--out", str(tmp_path / "q.csv")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert exported.returncode == 0, exported.stderr[-3000:]
    assert set(pd.read_csv(tmp_path / "q.csv")["params"]) == {7 * 9 + 7 + 7 * 10 + 10}


def test_importing_the_package_adds_one_name_of_ours(fresh_environment):
    """``import ablation_suite`` (and the notebook API it loads) brings one top-level name of ours into
    sys.modules; everything else it loads belongs to other distributions or the standard library."""
    probe = textwrap.dedent("""
        import json, sys
        before = set(sys.modules)
        import ablation_suite
        ablation_suite.run  # the notebook API: loads optuna, pandas, the store and the loops
        from importlib.metadata import packages_distributions
        added = sorted({name.split(".")[0] for name in set(sys.modules) - before})
        ours = sorted(top for top, dists in packages_distributions().items() if "ablation-suite" in dists)
        files = sorted(name for name, module in sys.modules.items()
                       if "site-packages/ablation_suite" in (getattr(module, "__file__", None) or "")
                       and not name.startswith("ablation_suite"))
        print(json.dumps(dict(added=added, ours=ours, files=files)))
        """)
    done = subprocess.run(
        [fresh_environment / "bin" / "python", "-c", probe],
        cwd=fresh_environment.parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env=CLEAN,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["ours"] == ["ablation_suite"] and found["files"] == []
    assert "ablation_suite" in found["added"] and not set(found["added"]) & OLD_TOP_LEVEL
