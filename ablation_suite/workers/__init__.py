"""Worker processes: spawning local workers, recycling their memory, cluster launchers (SLURM, Ray), liveness
of running trials, the devices a worker trains on, and the checks before any worker writes."""
