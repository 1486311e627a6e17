"""Workers on clusters (workers/launchers.py), against the real engines started here: a single-node SLURM cluster
(Debian's slurm-wlm and munge, tests/support/slurm_cluster.py) running a job array through submitit, one array task
requeued mid-cell; a local Ray head running two workers as Ray tasks; both on `study.py serve`'s proxy.
Plus the refusals, and the sbatch script printed for submitting by hand."""

import json
import os
import re
import subprocess
import sys
import textwrap
import time

import optuna
import pytest
from common import REPO
from optuna.trial import TrialState
from slurm_cluster import single_node_cluster, wait_for_job

from ablation_suite.store.storage import open_storage

STUDY = [sys.executable, str(REPO / "study.py")]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
THREE_CELLS = ["--dataset", "digits", "--seeds", "1", "--set", "train_size=200"]  # bn_placement: 3 levels x 1 seed
LEVELS = ["after", "before", "none"]


def completed_levels(url: str) -> list[str]:
    trials = optuna.load_study(study_name="bn_placement", storage=open_storage(url)).get_trials()
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    return sorted(json.loads(t.user_attrs["cell"])["bn"] for t in trials if t.state == TrialState.COMPLETE), trials


def wait_until_trained(job: str, url: str, env: dict, timeout: float = 300) -> None:
    """Wait until the job has left the queue with no cell running or waiting: squeue can show a requeued task
    nowhere for a moment between its requeue and its start, so an empty queue alone does not mean done."""
    deadline = time.monotonic() + timeout
    while True:
        wait_for_job(job, env)
        trials = optuna.load_study(study_name="bn_placement", storage=open_storage(url)).get_trials()
        open_cells = [t.number for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
        if not open_cells:
            return
        assert time.monotonic() < deadline, f"trials {open_cells} still open {timeout} s after the requeue"
        time.sleep(2)


def cli(args, cwd, env=ENV, timeout=300):
    return subprocess.run([*STUDY, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def requeue_now(task: str, env: dict) -> None:
    """Let a requeued task start again in two seconds (SLURM holds a requeued job back for about two minutes).

    Not at once: slurmd refuses a launch whose credential is no newer, to the second, than the kill it revoked
    ("Job credential revoked"), and the job then ends failed instead of running again. Two seconds on, its new
    credential is newer whatever the second the kill fell in."""
    deadline = time.monotonic() + 60
    while (
        "PENDING"
        not in subprocess.run(["squeue", "-h", "-j", task, "-o", "%T"], env=env, capture_output=True, text=True).stdout
    ):
        assert time.monotonic() < deadline, f"task {task} never went back to PENDING after its requeue"
        time.sleep(0.2)
    subprocess.run(["scontrol", "update", f"JobId={task}", "StartTime=now+2"], env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    with single_node_cluster(tmp_path_factory.mktemp("slurm")) as env:
        yield {**ENV, "SLURM_CONF": env["SLURM_CONF"]}


@pytest.mark.engines
def test_a_slurm_job_array_trains_every_cell_once_and_a_requeued_task_resumes_its_cell(slurm, proxy, tmp_path):
    port, _ = proxy
    url, logs = f"grpc://127.0.0.1:{port}", tmp_path / "logs"
    options = [
        "run",
        "bn_placement",
        *THREE_CELLS,
        "--epochs",
        "2",
        "--storage",
        url,
        "--launcher",
        "slurm",
        "--workers",
        "2",
        "--time",
        "10",
        "--cpus-per-worker",
        "1",
        "--slurm-logs",
        str(logs),
        "--fuse",
        "off",  # each task takes one cell at a time (not a group of all three), so both train and task 0 is requeued
    ]
    refused = cli([*options, "--partition", "nowhere"], tmp_path, slurm)  # sbatch's own refusal, exit 2
    assert refused.returncode == 2 and "sbatch refused the job array" in refused.stderr and "nowhere" in refused.stderr
    submitted = cli(options, tmp_path, slurm)
    assert submitted.returncode == 0, submitted.stderr
    job = re.search(r"submitted SLURM job (\d+): 2 worker", submitted.stdout).group(1)
    assert f"logs: {logs}/{job}_<TASK>_0_log.out" in submitted.stdout
    assert f"ablation-suite status bn_placement --storage {url}" in submitted.stdout

    first = logs / f"{job}_0_0_log.out"  # preempt array task 0 as its first cell trains, as SLURM would
    deadline = time.monotonic() + 180
    while not (first.is_file() and " epoch 1/2 " in first.read_text()):
        assert time.monotonic() < deadline, (first.read_text() if first.is_file() else "no log") + submitted.stdout
        time.sleep(0.2)
    subprocess.run(["scontrol", "requeue", f"{job}_0"], env=slurm, check=True, capture_output=True)
    requeue_now(f"{job}_0", slurm)
    wait_until_trained(job, url, slurm)

    out = "\n".join(path.read_text() for path in sorted(logs.glob("*_log.*")))
    levels, trials = completed_levels(url)
    assert levels == LEVELS, out[-4000:]  # every cell exactly once
    assert f"was interrupted (SLURM job {job}_0 was requeued since it started this trial)" in out, out[-4000:]
    assert "resuming from the checkpoint of an interrupted attempt" in out
    workers = [t.user_attrs["worker"] for t in trials if "worker" in t.user_attrs]
    assert {w["slurm_job"] for w in workers} == {f"{job}_0", f"{job}_1"}
    assert any(w["slurm_restarts"] == 1 for w in workers)
    status = cli(["status", "bn_placement", "--storage", url], tmp_path)
    assert (
        status.returncode == 0 and f"SLURM job {job}_0 ran: " in status.stdout and "after 1 requeue(s)" in status.stdout
    ), status.stdout + status.stderr

    # submitit's script: one array of 2 tasks with the resources asked for, the logs where we said; neither it nor
    # the pickled tasks carry the storage (the environment does); --print-sbatch prints the same options
    script = (logs / f"{job}_submission.sh").read_text()
    for line in (
        "--array=0-1%2",
        "--cpus-per-task=1",
        "--time=10",
        f"--output={logs}/%A_%a_0_log.out",
        f"--error={logs}/%A_%a_0_log.err",
        "--job-name=study-bn_placement",
    ):
        assert f"#SBATCH {line}\n" in script
    assert not [path for path in logs.iterdir() if path.suffix in (".sh", ".pkl") and url.encode() in path.read_bytes()]
    printed = cli([*options, "--print-sbatch"], tmp_path, slurm)
    assert printed.returncode == 0, printed.stderr
    sbatch = lambda text: {line for line in text.splitlines() if line.startswith("#SBATCH")}  # noqa: E731
    assert sbatch(printed.stdout) - sbatch(script) == {"#SBATCH --requeue"}
    assert sbatch(script) - sbatch(printed.stdout) == {"#SBATCH --signal=USR2@90"}
    assert "-m ablation_suite run bn_placement --dataset digits --seeds 1" in printed.stdout
    assert [line for line in printed.stdout.splitlines() if url in line] == [f"#   export ABLATION_STORAGE='{url}'"]


def test_print_sbatch_keeps_the_password_out_and_submits_nothing(tmp_path, monkeypatch, capsys):
    from ablation_suite.cli import main as study

    monkeypatch.chdir(tmp_path)
    secret = "s3cr3t-pw"
    url = f"postgresql://ann:{secret}@db.lab:5432/studies"
    code = study.main(
        [
            "run",
            "bn_placement",
            *THREE_CELLS,
            "--storage",
            url,
            "--launcher",
            "slurm",
            "--workers",
            "4",
            "--partition",
            "gpu",
            "--time",
            "120",
            "--gpus-per-worker",
            "1",
            "--cpus-per-worker",
            "8",
            "--print-sbatch",
        ]
    )
    script, errors = capsys.readouterr()
    assert code == 0, errors
    for line in (
        "--array=0-3%4",
        "--partition=gpu",
        "--time=120",
        "--gpus-per-node=1",
        "--cpus-per-task=8",
        f"--output={tmp_path}/runs/slurm/bn_placement/%A_%a_0_log.out",
        "--requeue",
    ):
        assert f"#SBATCH {line}\n" in script
    assert secret not in script + errors and "postgresql://ann:***@db.lab:5432/studies" in script
    assert ': "${ABLATION_STORAGE:?' in script  # the job refuses to start without the storage
    assert "TF_NUM_INTRAOP_THREADS=8" in script and "--workers" not in script and "--launcher" not in script
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize(
    "options, message",
    [
        (["--storage", "sqlite:///s.db", "--launcher", "slurm"], "cannot share the file storage"),
        (
            ["--storage", "journal:j.log", "--launcher", "ray", "--address", "127.0.0.1:1"],
            "cannot share the file storage",
        ),
        (["--storage", "grpc://127.0.0.1:1", "--partition", "gpu"], "--partition only applies with --launcher slurm"),
        (["--storage", "grpc://127.0.0.1:1", "--address", "h:1"], "--address only applies with --launcher ray"),
        (
            ["--storage", "grpc://127.0.0.1:1", "--launcher", "slurm", "--address", "h:1"],
            "does not apply to --launcher slurm",
        ),
        (
            ["--storage", "grpc://127.0.0.1:1", "--launcher", "ray", "--address", "h:1", "--time", "5"],
            "does not apply to --launcher ray",
        ),
        (["--storage", "grpc://127.0.0.1:1", "--launcher", "ray"], "needs --address"),
        (["--storage", "grpc://127.0.0.1:1", "--launcher", "slurm", "--gpus", "0"], "--gpus-per-worker"),
        (["--storage", "grpc://127.0.0.1:1", "--gpus-per-worker", "1"], "only applies with --launcher slurm or ray"),
    ],
)
def test_launcher_requests_that_cannot_work_are_refused_before_anything_is_written(
    options, message, tmp_path, monkeypatch, capsys
):
    from ablation_suite.cli import main as study

    monkeypatch.chdir(tmp_path)
    assert study.main(["run", "bn_placement", *THREE_CELLS, *options]) == 2
    errors = capsys.readouterr().err
    assert message in errors, errors
    if "cannot share" in message:  # the fix is in the message
        assert "ablation-suite serve" in errors and "use PostgreSQL" in errors
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def ray_head():
    """A local Ray head (this process) with 2 CPUs; its address is what `ray start --head` would print."""
    import uuid

    # Ray's token authentication, as on a real cluster: the token in RAY_AUTH_TOKEN for the head and every client
    # (set before Ray is imported, which reads the mode once; with no token given Ray would write ~/.ray/auth_token)
    token = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": uuid.uuid4().hex}
    saved = {key: os.environ.get(key) for key in token}
    os.environ.update(token)
    try:
        import ray

        context = ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
        yield context.address_info["gcs_address"], token
    finally:
        ray.shutdown()
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)


@pytest.mark.engines
def test_two_ray_tasks_train_every_cell_once(ray_head, proxy, tmp_path):
    (port, _), (address, token) = proxy, ray_head
    url = f"grpc://127.0.0.1:{port}"
    done = cli(
        [
            "run",
            "bn_placement",
            *THREE_CELLS,
            "--epochs",
            "1",
            "--storage",
            url,
            "--launcher",
            "ray",
            "--address",
            address,
            "--workers",
            "2",
            "--cpus-per-worker",
            "1",
        ],
        tmp_path,
        {**ENV, **token},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Ray task 0 on " in done.stdout and "Ray task 1 on " in done.stdout and "exited with status 0" in done.stdout
    levels, trials = completed_levels(url)
    assert levels == LEVELS  # every cell exactly once
    assert {t.user_attrs["worker"]["ray_task"] for t in trials if t.state == TrialState.COMPLETE} <= {"0", "1"}


@pytest.mark.unit
def test_each_launched_worker_runs_the_command_without_worker_and_launcher_options():
    from ablation_suite.workers.launchers import worker_command

    argv = [
        "run",
        "x",
        "--seeds",
        "2",
        "--launcher=slurm",
        "--workers",
        "4",
        "--storage",
        "postgresql://u:pw@h/d",
        "--partition",
        "gpu",
        "--time=30",
        "--print-sbatch",
        "--cpus-per-worker",
        "2",
        "--gpus-per-w",
        "1",
        "--slurm-logs",
        "logs",
        "--address",
        "a:1",
        "--track",
        "tensorboard=tb",
        "--set",
        "train_size=200",
    ]
    program = ["/venv/bin/python", "-m", "ablation_suite"]
    assert worker_command(argv, program) == [
        *program,
        "run",
        "x",
        "--seeds",
        "2",
        "--track",
        "tensorboard=tb",
        "--set",
        "train_size=200",
    ]


def test_importing_submitit_leaves_the_logging_of_this_process_alone(tmp_path):
    """submitit's import runs logging.config.dictConfig, which closes every handler already set up (absl's,
    once TensorFlow is loaded): the launcher imports it without that."""
    script = textwrap.dedent(f"""
        import logging, sys
        handler = logging.FileHandler({str(tmp_path / "log.txt")!r})
        logging.getLogger("mine").addHandler(handler)
        from ablation_suite.workers.launchers import submitit_module
        submitit_module()
        logging.getLogger("mine").warning("still here")
        assert handler.stream is not None and not handler.stream.closed
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "still here" in (tmp_path / "log.txt").read_text()
