"""ray.address values that cannot work fail in seconds with one line naming the key and what to
check (they gave a raw ValueError, or a ConnectionError traceback after 31 s). Apart from
tests/unit/test_scale.py, whose module-wide local Ray would already be connected."""
import socket
import time

import pytest

from tlbench.errors import TlbenchError
from tlbench.params import RayParams

ray = pytest.importorskip("ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def no_ray_running():
    if ray.is_initialized():
        ray.shutdown()
    yield
    if ray.is_initialized():
        ray.shutdown()


def test_a_ray_client_address_where_nothing_listens_is_one_line_within_seconds():
    from tlbench.scale import connect

    address = f"ray://127.0.0.1:{_free_port()}"
    start = time.monotonic()
    with pytest.raises(
        TlbenchError, match=rf"ray.address '{address}': nothing answers at 127.0.0.1:\d+ .*ray start --head"
    ):
        connect(RayParams(address=address))
    assert time.monotonic() - start < 10


def test_a_ray_client_address_without_a_port_says_how_to_write_it():
    from tlbench.scale import connect

    with pytest.raises(TlbenchError, match=r"ray.address 'ray://headnode': write ray://HOST:PORT"):
        connect(RayParams(address="ray://headnode"))


def test_the_ray_client_is_installed_with_the_extra():
    """`pip install -e '.[ray]'` must bring what ray:// addresses need (Ray Client needs grpcio)."""
    import importlib.util

    assert importlib.util.find_spec("grpc") is not None


def test_auto_without_a_cluster_names_the_key(monkeypatch, tmp_path):
    from tlbench.scale import connect

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path))  # no cluster address file from other runs
    with pytest.raises(TlbenchError, match=r"ray.address 'auto': could not join the cluster"):
        connect(RayParams(address="auto"))
