"""Scale-out: independent jobs of a stage (anomaly pairs, ...) run here one after the other, or as
Ray tasks when `extract.backend: ray` (Ray is an optional extra: `pip install -e '.[ray]'`).

Results come back in job order and the stage writes them itself, so the outputs are byte-identical
whichever backend ran the jobs, and a stage never leaves half-written files. Two things make that hold
when DVC runs a stage as `python -m` (its module is then `__main__`):
- jobs travel by importable name (`run_job(module, name, ...)`), never by value: Ray would pickle a
  `__main__` function with copies of the registries it reads, taken before their implementations loaded;
- every job runs under the same BLAS and torch thread count on both backends (`extract.job_threads`),
  because how a sum is split over threads changes its rounding.
A task whose worker dies (killed, out of memory, node lost) is run again, up to `ray.max_retries` times."""
from __future__ import annotations

import contextlib
import importlib
import socket
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence

from .errors import TlbenchError


def ray_module():
    try:
        import ray
    except ImportError:
        raise TlbenchError("extract.backend is ray but Ray is not installed: pip install -e '.[ray]' "
                           "(or set extract.backend: local)") from None
    return ray


def _reachable(address: str) -> None:
    """Fail in seconds, naming the key, when nothing listens at a `ray://HOST:PORT` address (Ray itself
    retries for half a minute and then raises a bare ConnectionError)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise TlbenchError(
            f"ray.address {address!r}: write ray://HOST:PORT (Ray Client's port is 10001), auto or local"
        )
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise TlbenchError(
            f"ray.address {address!r}: nothing answers at {host}:{port} ({exc.strerror or exc}): start "
            f"the cluster (`ray start --head` on {host}), check the host, the port (Ray Client: 10001) and "
            f"the firewall, or set ray.address: local"
        ) from None


def connect(settings) -> None:
    """`ray.address`: `local` starts Ray in this process's machine with `ray.num_cpus` CPUs (all if
    null); `auto` joins the cluster this machine belongs to; `ray://HOST:10001` a remote one (Ray Client)."""
    ray = ray_module()
    if ray.is_initialized():
        return
    if settings.address == "local":
        ray.init(num_cpus=settings.num_cpus, include_dashboard=False, log_to_driver=False)
        return
    if settings.address.startswith("ray://"):
        _reachable(settings.address)
    try:
        ray.init(address=settings.address, log_to_driver=False)
    except (ConnectionError, ValueError, RuntimeError, TimeoutError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise TlbenchError(
            f"ray.address {settings.address!r}: could not join the cluster ({first}): check that it "
            f"runs (`ray status` on its head node) with this Ray version, or set ray.address: local"
        ) from None


@contextlib.contextmanager
def thread_limits(threads: int | None) -> Iterator[None]:
    """BLAS (numpy, scipy, scikit-learn) and torch on `threads` threads while a job runs, on either
    backend; None leaves them as they are."""
    if not threads:
        yield
        return
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch else None
    try:
        with threadpool_limits(limits=threads):
            if torch:
                torch.set_num_threads(threads)
            yield
    finally:
        if torch:
            torch.set_num_threads(before)


def job_name(fn: Callable) -> tuple[str, str]:
    """(module, qualified name) by which any process imports `fn`; a stage run as `python -m` defines
    its functions in `__main__`, whose importable name is its spec's."""
    module = fn.__module__
    if module == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        if spec is None:
            raise TlbenchError(f"{fn.__qualname__} is defined in a script: a job must be a function of an importable "
                               f"module (run the stage as `python -m tlbench.experiments...`)")
        module = spec.name
    if "<locals>" in fn.__qualname__ or "<lambda>" in fn.__qualname__:
        raise TlbenchError(f"{module}.{fn.__qualname__} is not importable: a job must be a module-level function")
    return module, fn.__qualname__


def run_job(module: str, name: str, threads: int | None, args: tuple):
    """One job, as either backend runs it: the function imported by name, under the stage's thread limits
    (and, in a Ray worker, the stages' allocator settings)."""
    from .memory import keep_freed_memory

    keep_freed_memory()
    fn = importlib.import_module(module)
    for part in name.split("."):
        fn = getattr(fn, part)
    with thread_limits(threads):
        return fn(*args)


def fan_out(params, fn: Callable, jobs: Sequence[tuple], desc: str, progress: bool = True) -> list:
    """`[fn(*job) for job in jobs]`, locally or as Ray tasks (`params.model.extract.backend`), each job
    under `extract.job_threads` threads."""
    from tqdm import tqdm

    module, name = job_name(fn)
    extract = params.model.extract
    threads = getattr(extract, "job_threads", None)
    if extract.backend == "local":
        return [run_job(module, name, threads, job)
                for job in tqdm(jobs, desc=desc, unit="job", disable=not progress or None)]
    ray = ray_module()
    settings = params.model.ray
    connect(settings)
    release_extraction_actors()  # CPUs that idle extraction actors hold would never free for these tasks
    cpus = settings.cpus_per_task or threads or 1
    task = ray.remote(num_cpus=cpus, max_retries=settings.max_retries)(run_job).options(name=f"tlbench:{name}")
    refs = [task.remote(module, name, threads, job) for job in jobs]
    with tqdm(total=len(refs), desc=f"{desc} (ray)", unit="job", disable=not progress or None) as bar:
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            bar.update(len(done))
    return [_result(ray, ref, i, desc, settings.max_retries) for i, ref in enumerate(refs)]


def _result(ray, ref, i: int, desc: str, max_retries: int):
    try:
        return ray.get(ref)
    except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError) as exc:
        raise TlbenchError(f"{desc}: the Ray worker of job {i} died {max_retries + 1} time(s) "
                           f"({type(exc).__name__}): raise ray.max_retries, or give the workers more memory") from None
    except ray.exceptions.RayTaskError as exc:  # the job's own error, as the local backend raises it
        raise exc.as_instanceof_cause() from None


class _ExtractionActor:
    """A worker that runs its share of each extraction's batches (`schedule`, in that order) exactly as the
    local engine runs them: the same DataLoader workers at the lowest CPU priority decode up to
    PREFETCH_BATCHES ahead while the network runs (one decoding thread, one batch ahead, ran at 0.83x the
    local rate on 800 images; this way 0.94x), with the same batches, preprocessing and pooling.
    It outlives one extraction: a stage's later extractions (ph2_extract makes three) reuse the process, its
    imports and its thread settings instead of starting another (`_extraction_actors`)."""

    def __init__(self, threads: int):
        import torch

        from .memory import keep_freed_memory

        keep_freed_memory()
        torch.set_num_threads(threads)
        self.call = None

    def _begin(self, call_id: str, refs: list, schedule: list, k: int) -> None:
        import ray

        self.batches = self.forward = None  # the last extraction's loader workers and network go first
        self.recipe, self.source = ray.get(refs)
        self.call, self.schedule = call_id, [tuple(r) for r in schedule]
        self._decode_from(k)  # the workers decode while the network is built
        self.forward, self.facts = self.recipe.forward()

    def _decode_from(self, k: int) -> None:
        self.batches, self.next = self.recipe.batches(self.source, self.schedule[k:]), k

    def run(self, call: tuple, start: int, stop: int) -> tuple[int, dict, object]:
        """Batch [start, stop) of extraction `call` = (id, [recipe ref, source ref], this actor's schedule)."""
        call_id, refs, schedule = call
        k = [tuple(r) for r in schedule].index((start, stop))
        if call_id != self.call:  # a new extraction, or this actor was restarted and its task is run again
            self._begin(call_id, refs, schedule, k)
        elif k != self.next:
            self._decode_from(k)
        images, errors = next(self.batches)
        self.next = k + 1
        bad = [error for error in errors if error]
        if bad:
            raise TlbenchError(bad[0])
        return start, self.forward(images, start), self.facts


# the extraction actors this process started, kept for its later extractions: {(session, threads, gpu): [actors]}
_ACTORS: dict = {}


def _session(ray) -> tuple:
    """Which Ray session a handle belongs to: a new `ray.init` after a shutdown starts another node."""
    context = ray.get_runtime_context()
    return context.get_job_id(), context.get_node_id()


def release_extraction_actors() -> None:
    """Stop this process's extraction actors: their CPUs go back to Ray (before tasks need them)."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        for (session, _, _), actors in _ACTORS.items():
            if session == _session(ray):
                for actor in actors:
                    ray.kill(actor)
    _ACTORS.clear()


def _extraction_actors(ray, settings, n: int, threads: int, gpu: bool) -> list:
    key = (_session(ray), threads, gpu)
    if key not in _ACTORS:
        release_extraction_actors()
        _ACTORS[key] = []
    actors = _ACTORS[key]
    if len(actors) < n:
        actor_class = ray.remote(num_cpus=0 if gpu else threads, num_gpus=1 if gpu else 0,
                                 max_restarts=settings.max_retries,
                                 max_task_retries=settings.max_retries)(_ExtractionActor)
        actors += [actor_class.remote(threads) for _ in range(n - len(actors))]
    return actors[:n]


def extract_on_ray(settings, recipe, source, batch_size: int, threads: int, device: str):
    """Start the work now; returns an iterator of (first index, {node: features}, the engine's facts) per
    batch as the actors finish them. `recipe.batches(source, ranges)` and `recipe.forward()` decode and run
    on the actor. One actor per GPU, or per `threads` CPUs (it runs torch on that many threads, as the
    local run does), kept for this process's later extractions; a killed actor is restarted and its
    batches run again (`ray.max_retries`)."""
    ray = ray_module()
    connect(settings)
    gpu = device.startswith("cuda") or (device == "auto" and ray.cluster_resources().get("GPU", 0) > 0)
    slots = ray.cluster_resources().get("GPU" if gpu else "CPU", 1) / (1 if gpu else threads)
    ranges = [(s, min(s + batch_size, len(source))) for s in range(0, len(source), batch_size)]
    n = max(1, min(int(slots), len(ranges)))
    actors = _extraction_actors(ray, settings, n, threads, gpu)
    refs = [ray.put(recipe), ray.put(source)]  # nested in a list: each actor fetches them once per extraction
    calls = [(uuid.uuid4().hex, refs, ranges[k::n]) for k in range(n)]
    # batch k goes to actor k mod n; an actor runs its tasks in the order they were submitted
    pending = [actors[k % n].run.remote(calls[k % n], *r) for k, r in enumerate(ranges)]
    return _finished(ray, settings, pending, actors)


def _finished(ray, settings, pending: list, actors: list):
    """The batches' results as they finish; `actors` stay referenced (alive) until the last one."""
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        try:
            yield ray.get(done[0])
        except ray.exceptions.RayActorError as exc:
            raise TlbenchError(
                f"a Ray extraction actor died {settings.max_retries + 1} time(s) "
                f"({type(exc).__name__}): raise ray.max_retries, or give the workers more memory"
            ) from None
        except ray.exceptions.RayTaskError as exc:
            raise exc.as_instanceof_cause() from None
