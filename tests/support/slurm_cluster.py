"""A real single-node SLURM cluster for the tests: Debian's slurm-wlm and munge (apt-get install slurm-wlm munge),
run as root, every file (config, state, spool, logs, munge key and socket) in a temporary directory and the
daemons on free ports, so nothing of the machine's own configuration is used or changed. Clients (sbatch,
squeue, scontrol, and submitit, which calls them) find it through SLURM_CONF in the environment."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_name() -> tuple[str, int]:
    """This machine's SLURM node name and CPU count, as slurmd sees them."""
    found = dict(
        part.split("=", 1)
        for part in subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout.split()[:2]
    )
    return found["NodeName"], int(found["CPUs"])


def config(root: Path, node: str, cpus: int) -> str:
    return f"""ClusterName=ablationtest
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
AuthInfo=socket={root}/munge/socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
PlugStackConfig=/dev/null
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


@contextmanager
def single_node_cluster(root: Path):
    """Start munged, slurmctld and slurmd under ``root``; yields the environment the clients need; stops them."""
    missing = [name for name in (*DAEMONS, "sbatch", "srun") if shutil.which(name) is None]
    assert not missing, f"{', '.join(missing)} not installed: apt-get install -y slurm-wlm munge (as root)"
    assert os.geteuid() == 0, "a SLURM cluster needs root to start its daemons"
    for sub in ("state", "spool", "log", "munge"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "munge").chmod(0o755)  # munged insists its socket directory is not writable by others
    key = root / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    node, cpus = node_name()
    conf = root / "slurm.conf"
    conf.write_text(config(root, node, cpus))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    pids = []
    try:
        subprocess.run(
            [
                "munged",
                "--force",
                f"--socket={root}/munge/socket",
                f"--key-file={key}",
                f"--log-file={root}/log/munged.log",
                f"--pid-file={root}/munge/pid",
                f"--seed-file={root}/munge/seed",
            ],
            check=True,
            env=env,
        )
        pids.append(root / "munge" / "pid")
        for daemon, pid in (("slurmctld", "slurmctld.pid"), ("slurmd", "slurmd.pid")):
            subprocess.run([daemon, "-f", str(conf)], check=True, env=env)
            pids.append(root / pid)
        wait_until_idle(env, root)
        yield env
    finally:
        for pid_file in reversed(pids):
            stop(pid_file)


def wait_until_idle(env: dict, root: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, env=env).stdout.strip()
        if state == "idle":
            return
        assert time.monotonic() < deadline, f"the SLURM node never became idle (state {state!r}): " + "\n".join(
            path.read_text()[-2000:] for path in (root / "log").glob("*.log")
        )
        time.sleep(0.5)


def stop(pid_file: Path, timeout: float = 30) -> None:
    """Stop the daemon whose pid file this is (ours alone: the pid was written by the daemon we started)."""
    for _ in range(50):  # a daemon writes its pid file a moment after it forks
        if pid_file.is_file() and pid_file.read_text().strip():
            break
        time.sleep(0.1)
    else:
        return
    pid = int(pid_file.read_text().strip())
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, 9)


def wait_for_job(job: str, env: dict, timeout: float = 300) -> None:
    """Wait until SLURM has no task of ``job`` left pending or running."""
    deadline = time.monotonic() + timeout
    while subprocess.run(["squeue", "-h", "-j", job], capture_output=True, text=True, env=env).stdout.strip():
        assert time.monotonic() < deadline, f"SLURM job {job} still queued or running after {timeout} s"
        time.sleep(1)
