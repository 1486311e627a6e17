"""Workers on a cluster: ``run``/``search`` with ``--launcher slurm`` (one job array through submitit) or
``--launcher ray`` (Ray tasks on an existing cluster).

Each launched worker runs the same command a local extra worker runs (``ablation-suite run NAME ...`` without
the worker and launcher options, workers.processes) on a storage every machine reaches; the storage hands
out the cells, so a launcher only starts processes and never schedules cells itself. The storage URL
travels in the environment (``ABLATION_STORAGE``): sbatch exports the submitting environment to the job,
Ray hands it to its tasks as an argument; it is never on a command line or in a submitted file.
A task's scheduler identity (``scheduler_task``) is recorded with every trial it runs, so ``status``
shows which cells each array task ran and a requeued array task takes its interrupted cell back at once.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from ablation_suite.errors import UserError
from ablation_suite.store.storage import ENV, GRPC_SCHEME, JOURNAL_SCHEME, masked, proxy_address
from ablation_suite.workers.processes import without_worker_options, worker_plans

LAUNCHERS = ("slurm", "ray")
# option -> the launchers it applies to (argparse dest names; all default to None/False)
OPTIONS = {
    "address": ("ray",),
    "partition": ("slurm",),
    "time": ("slurm",),
    "slurm_logs": ("slurm",),
    "print_sbatch": ("slurm",),
    "gpus_per_worker": LAUNCHERS,
    "cpus_per_worker": LAUNCHERS,
}
FLAGS = ("--print-sbatch",)  # launcher options without a value
DEFAULT_MINUTES = 60
SUBMITIT_LOGGING = "SUBMITIT_LOG_LEVEL"  # "NOCONFIG": submitit leaves logging as it is
SHAREABLE = (
    "serve it with `ablation-suite serve --storage URL --host HOST --port P` on one machine and give the "
    "workers --storage grpc://HOST:P, or use PostgreSQL (--storage postgresql://USER@HOST/DATABASE, "
    "password in PGPASSWORD or ~/.pgpass)"
)


class LaunchError(UserError):
    """A launcher request the CLI refuses (exit status 2, nothing submitted)."""


def option_name(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def check_request(args, url: str) -> str | None:
    """The launcher asked for ("slurm", "ray" or None), after refusing options that would do nothing
    (a launcher's option without it, --gpus with a launcher) and storages other machines cannot share."""
    launcher = args.launcher
    for dest, owners in OPTIONS.items():
        if getattr(args, dest) is None or getattr(args, dest) is False:  # not given (0 is given: --gpus-per-worker 0)
            continue
        if launcher is None:
            raise LaunchError(
                f"{option_name(dest)} only applies with --launcher {' or '.join(owners)}; "
                f"add --launcher {owners[0]} or drop {option_name(dest)}"
            )
        if launcher not in owners:
            raise LaunchError(
                f"{option_name(dest)} does not apply to --launcher {launcher} "
                f"(only to --launcher {' or '.join(owners)})"
            )
    if launcher is None:
        return None
    if launcher == "ray" and not args.address:
        raise LaunchError(
            "--launcher ray needs --address HOST:PORT of a running Ray cluster (its head node's "
            "address, as `ray start --head` prints it); use --address auto on a node of the cluster"
        )
    package = {"slurm": "submitit", "ray": "ray"}[launcher]
    if importlib.util.find_spec(package) is None:
        raise LaunchError(
            f"--launcher {launcher} needs the {package} package, which is not installed; install it "
            f"with: pip install -e '.[{launcher}]'"
        )
    if launcher == "slurm" and not args.print_sbatch and shutil.which("sbatch") is None:
        raise LaunchError(
            "--launcher slurm submits with sbatch, which is not on this machine's PATH; run the command "
            "on a login node of the cluster, or print the script with --print-sbatch"
        )
    if args.gpus:
        raise LaunchError(
            f"--gpus picks GPUs of this machine; with --launcher {launcher} give each worker its "
            "GPUs with --gpus-per-worker N (the scheduler chooses which)"
        )
    check_shareable(url, launcher)
    return launcher


def check_shareable(url: str, launcher: str) -> None:
    """Refuse a storage that workers on other machines cannot safely share."""
    if url.startswith(("sqlite:///", JOURNAL_SCHEME)):
        raise LaunchError(
            f"--launcher {launcher} starts workers on other machines, which cannot share the file "
            f"storage {url!r} (SQLite and journal file locks are not safe on shared file systems); "
            f"{SHAREABLE}"
        )


def worker_command(argv: list[str], program: list[str]) -> list[str]:
    """What each launched worker runs: this command without the worker and launcher options (one worker each)."""
    launcher_options = ("--launcher", *(option_name(dest) for dest in OPTIONS if option_name(dest) not in FLAGS))
    kept = without_worker_options(argv, launcher_options)
    flag = lambda arg: arg.startswith("--") and len(arg) > 3 and any(f.startswith(arg) for f in FLAGS)  # noqa: E731
    kept = [arg for arg in kept if not flag(arg)]
    return [*program, *kept]


def worker_environment(url: str, cpus: int) -> dict:
    """Environment of a launched worker: the storage, and TensorFlow's threads sized to its CPUs (Ray and some
    SLURM set-ups do not confine a task to its cores)."""
    return {ENV: url, **worker_plans(1, None, list(range(cpus)))[0]["env"]}


def resources(args) -> tuple[int, int]:
    """CPUs and GPUs of each worker."""
    return args.cpus_per_worker or 1, args.gpus_per_worker or 0


def reachability_note(url: str) -> str:
    """A warning when the storage is a proxy on this machine's loopback address (other machines cannot reach it)."""
    if url.startswith(GRPC_SCHEME) and proxy_address(url)[0] in ("127.0.0.1", "localhost", "::1"):
        return (
            f"note: {url} is reachable from this machine only; workers on other nodes need the proxy served "
            "with --host on an address they reach (or an SSH tunnel on each node)"
        )
    return ""


def watch_command(args, name: str, url: str) -> str:
    return (
        f"ablation-suite status {args.name}"
        + (f" --study-name {name}" if args.study_name else "")
        + (f" --storage {shlex.quote(masked(url))}" if args.storage else "")
    )


# --- which scheduler task this process is -----------------------------------------------------------


def scheduler_task() -> dict:
    """This process's SLURM job (``JOBID_TASK`` for an array task) and requeue count, or its Ray task; {}
    when no launcher started it. Recorded with each trial's worker (workers.machine.hardware)."""
    if "SLURM_JOB_ID" in os.environ:
        array = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
        job = f"{array[0]}_{array[1]}" if all(array) else os.environ["SLURM_JOB_ID"]
        return {"slurm_job": job, "slurm_restarts": int(os.environ.get("SLURM_RESTART_COUNT") or 0)}
    if "ABLATION_RAY_TASK" in os.environ:  # set by launch_ray's task
        return {"ray_task": os.environ["ABLATION_RAY_TASK"]}
    return {}


def requeued_from(worker: dict) -> str:
    """Why a RUNNING trial's ``worker`` record is certainly dead: it was this very SLURM task before the task
    was requeued (preempted, timed out, scontrol requeue); "" otherwise."""
    mine = scheduler_task()
    if (
        mine.get("slurm_job")
        and worker.get("slurm_job") == mine["slurm_job"]
        and worker.get("slurm_restarts", 0) < mine["slurm_restarts"]
    ):
        return f"SLURM job {mine['slurm_job']} was requeued since it started this trial"
    return ""


def task_label(worker: dict) -> str:
    """The launched task a trial's worker was ("" for a worker started by hand)."""
    if "slurm_job" in worker:
        return f"SLURM job {worker['slurm_job']}"
    return f"Ray task {worker['ray_task']}" if "ray_task" in worker else ""


def cells_by_task(study) -> dict[str, list[str]]:
    """Which cells each launched task ran (its trials' cells and outcomes), for ``status``."""
    from ablation_suite.store import record

    tasks = {}
    for trial in study.get_trials(deepcopy=False):
        worker = record.trial_worker(trial)
        if task_label(worker) and record.trial_cell_key(trial) and not record.is_duplicate(trial):
            requeues = worker.get("slurm_restarts", 0)
            tasks.setdefault(task_label(worker), []).append(
                f"{record.describe_cell(record.trial_cell(trial))} ({record.status(trial)}"
                + (f", after {requeues} requeue(s))" if requeues else ")")
            )
    return tasks


# --- SLURM ---------------------------------------------------------------------------------------------


def slurm_parameters(args, workers: int) -> dict:
    """The sbatch options of the job array, as submitit's SlurmExecutor takes them."""
    cpus, gpus = resources(args)
    parameters = {
        "job_name": f"study-{args.study_name or Path(args.name).stem}",
        "time": args.time or DEFAULT_MINUTES,
        "cpus_per_task": cpus,
        "ntasks_per_node": 1,
        "array_parallelism": workers,
        "stderr_to_stdout": False,
    }
    if gpus:
        parameters["gpus_per_node"] = gpus  # one task per job: its node's GPUs are the worker's
    if args.partition:
        parameters["partition"] = args.partition
    return parameters


class ArrayTask:
    """One worker of the job array, as submitit runs it: the worker command as a subprocess. submitit calls
    ``checkpoint`` when SLURM signals preemption or the time limit, and requeues the task; the cell in flight
    is then taken back (workers.liveness) and resumes from its mid-trial checkpoint."""

    def __init__(self, command: list[str], cwd: str, env: dict):
        self.command, self.cwd, self.env = command, cwd, env  # env holds no storage: sbatch exports it

    def __call__(self) -> int:
        import signal

        if ENV not in os.environ:  # else the worker would silently use a local SQLite file
            raise LaunchError(
                f"{ENV} did not reach this job: sbatch must export the submitting environment "
                "(--export=ALL, its default; check SBATCH_EXPORT)"
            )
        # SLURM's warning signal is for submitit (it requeues); the worker trains on until it is stopped
        ignore = lambda: signal.signal(signal.SIGUSR2, signal.SIG_IGN)  # noqa: E731
        code = subprocess.run(self.command, cwd=self.cwd, env={**os.environ, **self.env}, preexec_fn=ignore).returncode
        if code:
            raise RuntimeError(f"the worker exited with status {code}; its output is above in this log")
        return code

    def checkpoint(self):
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(self)


def submitit_module():
    """submitit, imported without letting it reconfigure this process's logging: at import it runs
    ``logging.config.dictConfig``, which closes every handler already configured (absl's, which TensorFlow
    set up, closes the stream it was given). Its jobs configure its logging as usual (the variable is only
    set for the import)."""
    import importlib

    previous = os.environ.get(SUBMITIT_LOGGING)
    os.environ[SUBMITIT_LOGGING] = "NOCONFIG"
    try:
        module = importlib.import_module("submitit")
        importlib.import_module("submitit.slurm.slurm")
    finally:
        if previous is None:
            os.environ.pop(SUBMITIT_LOGGING, None)
        else:
            os.environ[SUBMITIT_LOGGING] = previous
    return module


def sbatch_script(args, command: list[str], workers: int, logs: Path, env: dict) -> str:
    """An sbatch script equivalent to the submitted job array, for submitting by hand (no password in it:
    the storage comes from ABLATION_STORAGE in the environment sbatch is run from)."""
    _make_sbatch_string = submitit_module().slurm.slurm._make_sbatch_string  # the same options submitit submits

    exports = " ".join(f"{key}={value}" for key, value in env.items() if key != ENV)
    run = f"cd {shlex.quote(os.getcwd())}\nexport {exports}\nsrun --unbuffered {shlex.join(command)}"
    text = _make_sbatch_string(
        command=run, folder=logs, map_count=workers, **{**slurm_parameters(args, workers), "use_srun": False}
    )
    text = text.replace("export SUBMITIT_EXECUTOR=slurm\n", "")
    # submitit's early warning signal asks it to requeue; by hand nothing would catch it
    text = re.sub(r"#SBATCH --signal=\S+\n", "#SBATCH --requeue\n", text)
    guard = (
        f"# The storage comes from your environment (sbatch exports it), never from this file:\n"
        f"#   export {ENV}='{masked(env[ENV])}'"
        + ("   (with the real password)" if masked(env[ENV]) != env[ENV] else "")
        + "\n#   sbatch THIS_FILE\n"
        f': "${{{ENV}:?set {ENV} to the storage URL before sbatch}}"\n'
    )
    return text.replace("\n# command\n", "\n# command\n" + guard)


def launch_slurm(args, url: str, command: list[str], name: str, log=print) -> int:
    """Submit ``args.workers`` workers as one job array (or print the equivalent sbatch script)."""
    cpus, _ = resources(args)
    logs = Path(args.slurm_logs or Path("runs") / "slurm" / name).resolve()
    env = worker_environment(url, cpus)
    if args.print_sbatch:
        log(sbatch_script(args, command, args.workers, logs, env))
        return 0
    submitit = submitit_module()
    logs.mkdir(parents=True, exist_ok=True)
    executor = submitit.SlurmExecutor(folder=logs)
    executor.update_parameters(**slurm_parameters(args, args.workers))
    task = ArrayTask(command, os.getcwd(), {key: value for key, value in env.items() if key != ENV})
    # sbatch exports this process's environment to the job: the storage. submitit unpickles the task with this
    # Python (sys.executable), which has the package installed (the nodes see it at the same path)
    try:
        with exported({ENV: url}), executor.batch():
            jobs = [executor.submit(task) for _ in range(args.workers)]
    except submitit.core.utils.FailedJobError as error:  # sbatch's own message: a partition, a limit
        raise LaunchError(f"sbatch refused the job array: {error}") from None
    job = jobs[0].job_id.split("_")[0]
    array = f"array 0-{args.workers - 1}" if args.workers > 1 else "one job: submitit submits a single task unarrayed"
    log(
        f"submitted SLURM job {job}: {args.workers} worker(s) ({array}), {cpus} CPU(s) and "
        f"{args.gpus_per_worker or 0} GPU(s) each, time limit {args.time or DEFAULT_MINUTES} min"
    )
    log(f"logs: {logs}/{job}_{'<TASK>_' if args.workers > 1 else ''}0_log.out (and .err)")
    log(f"watch: {watch_command(args, name, url)}   (squeue -j {job}; cancel: scancel {job})")
    return 0


@contextmanager
def exported(env: dict):
    """This process's environment with ``env`` added, for the duration of the block."""
    previous = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in previous.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)


# --- Ray -----------------------------------------------------------------------------------------------


def launch_ray(args, url: str, command: list[str], log=print) -> int:
    """Run ``args.workers`` workers as Ray tasks on the cluster at ``args.address``; waits for them and
    returns 0 when every worker exited 0."""
    import ray

    cpus, gpus = resources(args)
    env = worker_environment(url, cpus)
    cwd = os.getcwd()

    def run_worker(command, env, cwd, index):  # defined here so Ray ships it by value (no import on the nodes)
        import os
        import socket
        import subprocess

        env = {**os.environ, **env, "ABLATION_RAY_TASK": f"{index}"}  # Ray set CUDA_VISIBLE_DEVICES already
        return socket.gethostname(), subprocess.run(command, cwd=cwd, env=env).returncode

    try:
        ray.init(address=args.address, logging_level="WARNING", log_to_driver=True)
    except ConnectionError as error:
        raise LaunchError(
            f"--address {args.address}: no Ray cluster answers ({error}); start one with "
            "`ray start --head` and give the address it prints; a cluster with token authentication "
            "also needs its token in RAY_AUTH_TOKEN or ~/.ray/auth_token"
        ) from None
    try:
        task = ray.remote(run_worker)
        refs = [
            task.options(num_cpus=cpus, num_gpus=gpus, name=f"ablation-suite worker {index}", max_retries=0).remote(
                command, env, cwd, index
            )
            for index in range(args.workers)
        ]
        log(
            f"started {args.workers} worker(s) as Ray tasks on {args.address} ({cpus} CPU(s), {gpus} GPU(s) "
            f"each); waiting for them (watch: {watch_command(args, args.study_name or args.name, url)})",
            flush=True,
        )
        outcomes = ray.get(refs)
    finally:
        ray.shutdown()
    for index, (host, code) in enumerate(outcomes):
        log(f"Ray task {index} on {host}: worker exited with status {code}")
    return 1 if any(code for _, code in outcomes) else 0


def launch(args, url: str, program: list[str], name: str, log=print) -> int:
    """Start the workers with the requested launcher (``check_request`` validated the request)."""
    command = worker_command(args.argv, program)
    if note := reachability_note(url):
        print(note, file=sys.stderr)  # not on stdout, which --print-sbatch keeps for the script
    if args.launcher == "slurm":
        return launch_slurm(args, url, command, name, log)
    return launch_ray(args, url, command, log)
