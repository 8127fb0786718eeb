"""The datasets and anomaly scenes of the mission: where each comes from and where it goes.

Every dataset lives at `data/<profile>/<folder>` (`tlbench.paths.dataset_root`), so that
`dvc.yaml` can name the folders a stage reads as its dependencies. Each dataset module attaches its
own check (`DATASETS.implement(key, check)`), used by `tlbench data check`."""
from __future__ import annotations

from dataclasses import dataclass

from ..registry import Entry, Registry


@dataclass(frozen=True)
class Archive:
    url: str
    inner: str  # the dataset folder inside the archive
    target: str  # where that folder goes, relative to the dataset root's parent
    sha256: str | None = None
    md5: str | None = None

    @property
    def filename(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Dataset(Entry):
    folder: str = ""  # under data/<profile>/
    citation: str = ""
    source: str = ""
    layout: str = ""  # what the folder holds
    archives: tuple[Archive, ...] = ()  # for `tlbench data fetch`; empty: by hand only


UCSD_URL = "http://www.svcl.ucsd.edu/projects/anomaly/UCSD_Anomaly_Dataset.tar.gz"
YORK_URL = "http://vision.eecs.yorku.ca/research/anomalous-behaviour-data/sets/{folder}.zip"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"

DATASETS: Registry[Dataset] = Registry(
    "dataset",
    [
        Dataset(
            "ph2",
            "PH2",
            folder="PH2Dataset",
            citation="Mendonça et al., EMBC 2013; research use, cite the paper",
            source="https://www.fc.up.pt/addi/ph2%20database.html",
            layout="PH2_dataset.txt and 'PH2 Dataset images/IMDxxx/IMDxxx_Dermoscopic_Image/IMDxxx.bmp'",
        ),
        Dataset(
            "fruits360",
            "Fruits-360",
            folder="fruits-360",
            citation="Oltean & Muresan, 2018; MIT (newer releases CC BY-SA 4.0)",
            source="https://github.com/Horea94/Fruit-Images-Dataset",
            layout="Training/<class>/*.jpg and Test/<class>/*.jpg",
            # unpinned: the repository publishes no release with a checksum; `tlbench data fetch` records the
            # archive's SHA-256 in <dataset>/tlbench-source.json and the fusion provenance carries it
            archives=(
                Archive(
                    "https://github.com/Horea94/Fruit-Images-Dataset/archive/refs/heads/master.zip",
                    "Fruit-Images-Dataset-master",
                    "{root}",
                ),
            ),
        ),
        Dataset(
            "supermarket",
            "Supermarket Produce",
            folder="tropical-fruits-DB-1024x768",
            citation="Rocha et al., Computers and Electronics in Agriculture 2010; cite",
            source="http://www.ic.unicamp.br/~rocha/pub/communications.html",
            layout="<class>/*.jpg (15 classes, 2,633 images, 1024x768)",
        ),
        Dataset(
            "ucsd",
            "UCSD Anomaly Detection v1p2 (Ped1, Ped2)",
            folder="UCSD_Anomaly_Dataset.v1p2",
            citation="Mahadevan et al., CVPR 2010; cite",
            source=UCSD_URL,
            layout="UCSDped1/ and UCSDped2/ with Train/, Test/ and Test/UCSDpedX.m",
            archives=(
                Archive(
                    UCSD_URL,
                    "UCSD_Anomaly_Dataset.v1p2",
                    "{root}",
                    sha256="2329af326951f5097fdd114c50e853957d3e569493a49d22fc082a9fd791915b",
                ),
            ),
        ),
        Dataset(
            "york",
            "York traffic scenes (Belleview, Train)",
            folder="york",
            citation="Zaharescu & Wildes, ECCV 2010; cite",
            source="http://vision.eecs.yorku.ca/research/anomalous-behaviour-data/",
            layout="Traffic-Belleview/ and Traffic-Train/, each input.avi and GT/gt-NNNNN.png",
            archives=tuple(
                Archive(YORK_URL.format(folder=f), f, "{root}/" + f) for f in ("Traffic-Belleview", "Traffic-Train")
            ),
        ),
        Dataset(
            "cifar10",
            "CIFAR-10 (python)",
            folder="cifar-10-batches-py",
            citation="Krizhevsky, 2009",
            source=CIFAR10_URL,
            layout="data_batch_1..5, test_batch, batches.meta",
            archives=(Archive(CIFAR10_URL, "cifar-10-batches-py", "{root}", md5="c58f30108f718f92721af3b95e74349a"),),
        ),
    ],
)


@dataclass(frozen=True)
class Scene(Entry):
    dataset: str = ""  # key in DATASETS; the dataset's module loads the scene (`SCENES.implement`)


SCENES: Registry[Scene] = Registry("scene", [
    Scene("ped1", "UCSD Ped1", dataset="ucsd"),
    Scene("ped2", "UCSD Ped2", dataset="ucsd"),
    Scene("belleview", "Belleview", dataset="york"),
    Scene("train", "Train", dataset="york"),
])
