#!/usr/bin/env python3
"""2 workers x (global batch 64) give the single process's weights and logs (ctest entry
data_parallel_two_workers_match_one): runs tests/distribute/data_parallel_worker alone and under
`mpirun --oversubscribe -np 2`, then compares, for a Sequential and a functional model trained on
arrays, the Sequential trained from a data source (utils::Sequence), and a model with
BatchNormalization(synchronized=true) (the single process's plain batch normalization), the final
weights (max |2 workers - 1| <= 1e-5 x max |weight|: float32 sums in another order) and the
logged loss and accuracy per epoch (1e-5), and checks that only the chief wrote its checkpoint
and that the workers summed their gradients in packs during the backward pass.
For a model with BatchNormalization (which normalizes each worker's slice with its own
statistics, so it is not the single process's) it checks that the two workers end with the same
weights and moving statistics, bit for bit. Then the fault: worker 1 SIGKILLs itself as the third epoch of a model backed up by
BackupAndRestore begins; the job must end non-zero within 60 seconds with a message naming the
lost worker (mpirun's: OpenMPI ends the other workers when one dies), and the same job started
again must resume from the chief's backup and end with the uninterrupted run's weights.

Usage: data_parallel_test.py WORKER MPIEXEC WORK_DIR"""
import os
import re
import shutil
import subprocess
import sys
import time


def run(command, env):
    print("$ " + " ".join(command), flush=True)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    print(done.stdout + done.stderr, end="", flush=True)
    if done.returncode != 0:
        sys.exit(f"FAILED (exit {done.returncode}): {' '.join(command)}")


def read(path):
    rows = {}
    with open(path) as f:
        for line in f:
            key, *values = line.split()
            rows[key] = [float(v) for v in values]
    return rows


def main():
    worker, mpiexec, work = sys.argv[1:4]
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMP_NUM_THREADS="1")
    one, two = os.path.join(work, "one"), os.path.join(work, "two")
    for d in (one, two):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    run([worker, one], env)
    run([mpiexec, "--oversubscribe", "-np", "2", worker, two], env)
    failures = []
    for kind in ("sequential", "functional", "source", "syncbn"):
        a, b = read(os.path.join(one, kind + "_worker0.txt")), read(os.path.join(two, kind + "_worker0.txt"))
        if a["replicas"] != [1.0] or b["replicas"] != [2.0]:
            failures.append(f"{kind}: replicas {a['replicas']} and {b['replicas']}, expected 1 and 2")
        if b["overlaps"] != [1.0]:
            failures.append(f"{kind}: the 2 workers summed their gradients after the backward pass, not during it")
        scale = max(abs(v) for v in a["weights"])
        diff = max(abs(x - y) for x, y in zip(a["weights"], b["weights"]))
        print(f"{kind}: {len(a['weights'])} weights, max |2 workers - 1| = {diff:.3g} (largest weight {scale:.3g}); "
              f"loss {a['loss']} vs {b['loss']}; accuracy {a['accuracy']} vs {b['accuracy']}")
        if len(a["weights"]) != len(b["weights"]) or diff > 1e-5 * scale:
            failures.append(f"{kind}: weights differ by {diff:.3g}")
        for key in ("loss", "accuracy"):
            if max(abs(x - y) for x, y in zip(a[key], b[key])) > 1e-5:
                failures.append(f"{kind}: logged {key} differs: {a[key]} vs {b[key]}")
        if not os.path.exists(os.path.join(two, kind + "_worker0.keras")):
            failures.append(f"{kind}: the chief wrote no checkpoint")
        if os.path.exists(os.path.join(two, kind + "_worker1.keras")):
            failures.append(f"{kind}: worker 1 wrote a checkpoint (only the chief may)")
    # TerminateOnNaN with the NaN in worker 1's slice only: every worker stops after the first
    # batch, as the single process does (a worker stopping alone would hang the other).
    runs = [read(os.path.join(one, "nan_worker0.txt"))] + [read(os.path.join(two, f"nan_worker{i}.txt")) for i in (0, 1)]
    print(f"nan: batches run by the single process and the 2 workers: {[r['batches'] for r in runs]}")
    if any(r["batches"] != [1.0] for r in runs):
        failures.append("nan: TerminateOnNaN did not stop every run after the first batch")
    chief, other = (read(os.path.join(two, f"batchnorm_worker{i}.txt")) for i in (0, 1))
    print(f"batchnorm: the workers' {len(chief['weights'])} weights (moving statistics included) are "
          f"{'identical' if chief['weights'] == other['weights'] else 'different'}")
    if chief["weights"] != other["weights"] or chief["loss"] != other["loss"]:
        failures.append("batchnorm: the two workers' weights or logs differ")
    killed = os.path.join(work, "killed")
    shutil.rmtree(killed, ignore_errors=True)
    os.makedirs(killed)
    start = time.monotonic()
    done = subprocess.run([mpiexec, "--oversubscribe", "-np", "2", worker, killed, "--kill-rank", "1"], env=env,
                          capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - start
    said = done.stdout + done.stderr
    named = re.search(r"rank 1\b", said) is not None
    print(f"fault: worker 1 killed; the job exited {done.returncode} after {elapsed:.1f} s; "
          f"{'the message names rank 1' if named else 'no message names rank 1'}")
    if done.returncode == 0 or elapsed > 60 or not named:
        failures.append("fault: the job did not stop with an error naming the lost worker within 60 s:\n" + said[-2000:])
    # The same job started again resumes from the chief's backup and ends where the uninterrupted
    # run did.
    run([mpiexec, "--oversubscribe", "-np", "2", worker, killed], env)
    resumed, uninterrupted = read(os.path.join(killed, "resume_worker0.txt")), read(os.path.join(two, "resume_worker0.txt"))
    same = resumed["weights"] == uninterrupted["weights"] and resumed["loss"][-1] == uninterrupted["loss"][-1]
    epochs_run = len(resumed["loss"])  # a resumed fit's history holds the epochs it ran: the third only
    print(f"fault: the restarted job ran {epochs_run} epoch(s) and "
          f"{'ends with' if same else 'does not end with'} the uninterrupted run's weights")
    if not same or epochs_run != 1:
        failures.append("fault: the run resumed by BackupAndRestore differs from the uninterrupted one, or did not resume")
    if failures:
        sys.exit("FAILED:\n" + "\n".join(failures))
    print("data parallel: 2 workers match 1")


if __name__ == "__main__":
    main()
