"""Scale-out: independent jobs of a stage (anomaly pairs, ...) run here one after the other, or as
Ray tasks when `extract.backend: ray` (Ray is an optional extra: `pip install -e '.[ray]'`).

Results come back in job order and the stage writes them itself, so the outputs are byte-identical
whichever backend ran the jobs, and a stage never leaves half-written files. A task whose worker
dies (killed, out of memory, node lost) is run again, up to `ray.max_retries` times."""
from __future__ import annotations

from typing import Callable, Sequence

from .errors import TlbenchError


def ray_module():
    try:
        import ray
    except ImportError:
        raise TlbenchError("extract.backend is ray but Ray is not installed: pip install -e '.[ray]' "
                           "(or set extract.backend: local)") from None
    return ray


def connect(settings) -> None:
    """`ray.address`: `local` starts Ray in this process's machine with `ray.num_cpus` CPUs (all if
    null); `auto` joins the cluster this machine belongs to; `ray://HOST:10001` a remote one."""
    ray = ray_module()
    if ray.is_initialized():
        return
    if settings.address == "local":
        ray.init(num_cpus=settings.num_cpus, include_dashboard=False, log_to_driver=False)
    else:
        ray.init(address=settings.address, log_to_driver=False)


def fan_out(params, fn: Callable, jobs: Sequence[tuple], desc: str, progress: bool = True) -> list:
    """`[fn(*job) for job in jobs]`, locally or as Ray tasks (`params.model.extract.backend`)."""
    from tqdm import tqdm

    if params.model.extract.backend == "local":
        return [fn(*job) for job in tqdm(jobs, desc=desc, unit="job", disable=not progress or None)]
    ray = ray_module()
    connect(params.model.ray)
    task = ray.remote(num_cpus=params.model.ray.cpus_per_task, max_retries=params.model.ray.max_retries)(fn)
    refs = [task.remote(*job) for job in jobs]
    with tqdm(total=len(refs), desc=f"{desc} (ray)", unit="job", disable=not progress or None) as bar:
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            bar.update(len(done))
    results = []
    for i, ref in enumerate(refs):
        try:
            results.append(ray.get(ref))
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError) as exc:
            raise TlbenchError(f"{desc}: the Ray worker of job {i} died {params.model.ray.max_retries + 1} time(s) "
                               f"({type(exc).__name__}): raise ray.max_retries, or give the workers more memory") from None
        except ray.exceptions.RayTaskError as exc:  # the job's own error, as the local backend raises it
            raise exc.as_instanceof_cause() from None
    return results


class _ExtractionActor:
    """Holds one copy of the network on its slot; turns a batch of image indices into features, exactly
    as the local engine does (the same batches, the same preprocessing, the same pooling)."""

    def __init__(self, build: Callable, source, threads: int):
        import torch

        torch.set_num_threads(threads)
        self.engine, self.dataset, self.layers, self.pooling = build(source)

    def run(self, start: int, stop: int) -> tuple[int, dict]:
        import torch

        items = [self.dataset[i] for i in range(start, stop)]
        bad = [error for _, error in items if error]
        if bad:
            raise TlbenchError(bad[0])
        return start, self.engine(torch.stack([image for image, _ in items]), self.layers, self.pooling)


def extract_on_ray(settings, build: Callable, source, batch_size: int, threads: int, device: str):
    """Yield (first index, {node: features}) per batch as the actors finish them. `build(source)` makes
    (engine, dataset, layers, pooling) on the actor. One actor per GPU, or per `threads` CPUs (it runs
    torch on that many threads, as the local run does); a killed actor is restarted and its batches
    run again (`ray.max_retries`)."""
    ray = ray_module()
    connect(settings)
    gpu = device.startswith("cuda") or (device == "auto" and ray.cluster_resources().get("GPU", 0) > 0)
    slots = ray.cluster_resources().get("GPU" if gpu else "CPU", 1) / (1 if gpu else threads)
    starts = list(range(0, len(source), batch_size))
    actor_class = ray.remote(num_cpus=0 if gpu else threads, num_gpus=1 if gpu else 0,
                             max_restarts=settings.max_retries, max_task_retries=settings.max_retries)(_ExtractionActor)
    actors = [actor_class.remote(build, source, threads) for _ in range(max(1, min(int(slots), len(starts))))]
    pending = [actors[k % len(actors)].run.remote(s, min(s + batch_size, len(source))) for k, s in enumerate(starts)]
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        try:
            yield ray.get(done[0])
        except ray.exceptions.RayActorError as exc:
            raise TlbenchError(f"a Ray extraction actor died {settings.max_retries + 1} time(s) "
                               f"({type(exc).__name__}): raise ray.max_retries, or give the workers more memory") from None
        except ray.exceptions.RayTaskError as exc:
            raise exc.as_instanceof_cause() from None
