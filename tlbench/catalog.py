"""The datasets of the mission: where each comes from, how to get it, and `tlbench data check`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import datasets, video
from .config import Params
from .errors import TlbenchError
from .fetch import Archive


@dataclass(frozen=True)
class DatasetInfo:
    key: str  # the name under profiles.<profile>.datasets in params.yaml
    title: str
    citation: str
    source: str
    layout: str  # what the folder holds
    archives: tuple[Archive, ...] = ()  # for `tlbench data fetch`; empty: by hand only


CATALOG = {d.key: d for d in (
    DatasetInfo("ph2", "PH2", "Mendonça et al., EMBC 2013; research use, cite the paper", datasets.PH2_URL,
                "PH2_dataset.txt and 'PH2 Dataset images/IMDxxx/IMDxxx_Dermoscopic_Image/IMDxxx.bmp'"),
    DatasetInfo("fruits360", "Fruits-360", "Oltean & Muresan, 2018; MIT (newer releases CC BY-SA 4.0)",
                datasets.FRUITS360_URL, "Training/<class>/*.jpg and Test/<class>/*.jpg",
                (Archive("https://github.com/Horea94/Fruit-Images-Dataset/archive/refs/heads/master.zip",
                         "Fruit-Images-Dataset-master", "{root}"),)),
    DatasetInfo("supermarket", "Supermarket Produce", "Rocha et al., Computers and Electronics in Agriculture 2010; cite",
                datasets.SUPERMARKET_URL, "<class>/*.jpg (15 classes, 2,633 images, 1024x768)"),
    DatasetInfo("ucsd", "UCSD Anomaly Detection v1p2 (Ped1, Ped2)", "Mahadevan et al., CVPR 2010; cite",
                video.UCSD_URL, "UCSDped1/ and UCSDped2/ with Train/, Test/ and Test/UCSDpedX.m",
                (Archive(video.UCSD_URL, "UCSD_Anomaly_Dataset.v1p2", "{root}",
                         sha256="2329af326951f5097fdd114c50e853957d3e569493a49d22fc082a9fd791915b"),)),
    DatasetInfo("york", "York traffic scenes (Belleview, Train)", "Zaharescu & Wildes, ECCV 2010; cite",
                "http://vision.eecs.yorku.ca/research/anomalous-behaviour-data/",
                "Traffic-Belleview/ and Traffic-Train/, each input.avi and GT/gt-NNNNN.png",
                tuple(Archive(video.YORK_URL.format(folder=f), f, "{root}/" + f) for f in video.YORK_SCENES.values())),
    DatasetInfo("cifar10", "CIFAR-10 (python)", "Krizhevsky, 2009", datasets.CIFAR10_URL,
                "data_batch_1..5, test_batch, batches.meta",
                (Archive(datasets.CIFAR10_URL, "cifar-10-batches-py", "{root}", md5="c58f30108f718f92721af3b95e74349a"),)),
)}


@dataclass
class CheckRow:
    dataset: str
    status: str  # found | missing | invalid | warning
    found: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    message: str = ""


def dataset_root(params: Params, key: str) -> Path:
    return params.resolve_path(params.profile_get(f"datasets.{key}"))


def how_to_get(params: Params, key: str) -> str:
    info = CATALOG[key]
    where = dataset_root(params, key)
    if params.profile == "demo":
        return f"run `tlbench demo-data` (or `dvc repro demo_data`) to generate it at {where}"
    how = f"run `tlbench data fetch {key}` (source: {info.source})" if info.archives else \
        f"download it by hand from {info.source}"
    return f"{how} so that {where} holds {info.layout}; {info.citation}"


def _expected(params: Params, key: str) -> dict:
    """Counts a complete copy has: the official ones (paper) or the twin's (demo, from params)."""
    if params.profile != "demo":
        return {
            "ph2": {"images": 200},
            "supermarket": {"classes": datasets.SUPERMARKET_COUNTS[0], "images": datasets.SUPERMARKET_COUNTS[1]},
            "ucsd_ped1": {"train clips": video.UCSD_SCENES["ped1"][2], "test clips": video.UCSD_SCENES["ped1"][3]},
            "ucsd_ped2": {"train clips": video.UCSD_SCENES["ped2"][2], "test clips": video.UCSD_SCENES["ped2"][3]},
            "cifar10": {"train": 50000, "test": 10000},
        }.get(key, {})  # Fruits-360: any known release (release_problem); York: the protocol's range
    from .demo_produce import FRUIT_KINDS

    d, n = params.get("demo_data"), len(FRUIT_KINDS)
    ucsd = {"train clips": d["ucsd"]["train_clips"], "test clips": d["ucsd"]["test_clips"]}
    return {
        "ph2": {"images": sum(d["ph2"]["counts"])},
        "fruits360": {"classes": n, "train": n * d["fruits360"]["train_per_class"],
                      "test": n * d["fruits360"]["test_per_class"]},
        "supermarket": {"classes": n, "images": n * d["supermarket"]["per_class"]},
        "ucsd_ped1": ucsd, "ucsd_ped2": ucsd,
        "york_belleview": {"frames": d["york"]["n_frames"]}, "york_train": {"frames": d["york"]["n_frames"]},
        "cifar10": {"train": 10 * d["cifar10"]["train_per_class"], "test": 10 * d["cifar10"]["test_per_class"]},
    }[key]


def _check_one(params: Params, key: str) -> CheckRow:
    """Validate one dataset (or scene) of the profile."""
    base = key.split("_")[0] if key.startswith(("ucsd_", "york_")) else key
    root = dataset_root(params, base)
    expected = _expected(params, key)
    row = CheckRow(key, "found", expected=expected)
    if not root.exists():
        row.status, row.message = "missing", f"{root} not found: {how_to_get(params, base)}"
        return row
    try:
        if key == "ph2":
            ds = datasets.PH2.load(root, expect_full=params.profile == "paper")
            row.found = {"images": len(ds.records)}
        elif key == "fruits360":
            ds = datasets.Fruits360.load(root)
            row.found = {"classes": len(ds.train.classes), "train": len(ds.train.samples), "test": len(ds.test.samples)}
            problem = None if params.profile == "demo" else ds.release_problem()
            if problem:
                row.status, row.message = problem[0] if problem[0] == "warning" else "invalid", problem[1]
        elif key == "supermarket":
            ds = datasets.load_supermarket(root)
            row.found = {"classes": len(ds.classes), "images": len(ds.samples)}
        elif key.startswith("ucsd_"):
            scene = video.load_ucsd(root, key.split("_")[1])
            for clip in scene.split("test"):
                video.check_masks(clip)
            row.found = {k: v for k, v in scene.counts().items() if k.endswith("clips")}
        elif key.startswith("york_"):
            name = key.split("_")[1]
            scene = video.load_york(root, name)
            row.found = {"frames": scene.n_frames}
            proto = york_protocol(params, name, scene.n_frames)
            scene.anomalous(proto["test"][0], min(proto["test"][0] + 1, scene.n_frames))  # GT readable and sized
            if proto["test"][1] > scene.n_frames:
                raise TlbenchError(f"{scene.video} has {scene.n_frames} frames but the protocol tests up to frame "
                                   f"{proto['test'][1] - 1}: check profiles.{params.profile}.york_protocol.{name}")
        elif key == "cifar10":
            ds = datasets.CIFAR10.load(root)
            row.found = {"train": len(ds.split_labels("train")), "test": len(ds.split_labels("test"))}
    except TlbenchError as exc:
        row.status, row.message = "invalid", str(exc)
        return row
    wrong = {k: (row.found.get(k), v) for k, v in expected.items() if v is not None and row.found.get(k) != v}
    if wrong and row.status == "found":
        detail = ", ".join(f"{k} {f} (expected {e})" for k, (f, e) in wrong.items())
        row.status, row.message = "invalid", f"{root}: {detail}: the copy is incomplete or another release; {how_to_get(params, base)}"
    return row


CHECK_KEYS = ["ph2", "fruits360", "supermarket", "ucsd_ped1", "ucsd_ped2", "york_belleview", "york_train", "cifar10"]


def york_protocol(params: Params, scene: str, n_frames: int) -> dict[str, tuple[int, int]]:
    """Inclusive [first, last] frame ranges from params (null = the last frame) as half-open ranges."""
    spec = params.profile_get(f"york_protocol.{scene}")
    out = {}
    for part in ("train", "test"):
        first, last = spec[part]
        out[part] = (int(first), n_frames if last is None else int(last) + 1)
    return out


def check(params: Params, keys: list[str] | None = None) -> list[CheckRow]:
    return [_check_one(params, k) for k in (keys or CHECK_KEYS)]


def require(params: Params, keys: list[str]) -> None:
    """What a stage calls first: one error naming the first dataset that is not usable."""
    for row in check(params, keys):
        if row.status in ("missing", "invalid"):
            raise TlbenchError(row.message)


def format_rows(rows: list[CheckRow], profile: str) -> str:
    lines = [f"profile {profile}:", f"{'dataset':<16} {'status':<8} counts"]
    for r in rows:
        counts = ", ".join(f"{k} {v}" + (f"/{r.expected[k]}" if r.expected.get(k) not in (None, v) else "")
                           for k, v in r.found.items()) or "-"
        lines.append(f"{r.dataset:<16} {r.status:<8} {counts}")
        if r.message:
            lines.append(f"{'':<16} {r.message}")
    return "\n".join(lines)


def fetch(params: Params, key: str, progress: bool = True, archives: tuple[Archive, ...] | None = None) -> Path:
    """`tlbench data fetch KEY`: download (resumable, verified) and extract into the profile's root."""
    from .fetch import download, extract

    if key not in CATALOG:
        raise TlbenchError(f"unknown dataset {key!r}: use one of {', '.join(CATALOG)}")
    info = CATALOG[key]
    archives = archives if archives is not None else info.archives
    if not archives:
        raise TlbenchError(f"{info.title} cannot be fetched automatically: {how_to_get(params, key)}")
    root = dataset_root(params, key)
    downloads = params.resolve_path(params.get("data.downloads"))
    for archive in archives:
        target = Path(archive.target.format(root=root))
        if target.exists():
            print(f"{target} exists; skipping {archive.filename}")
            continue
        file = download(archive, downloads, progress=progress)
        extract(Archive(archive.url, archive.inner, target.name, archive.sha256, archive.md5), file, target.parent)
    return root
