"""Slurm host lists both ways, and `--node-label auto`'s order."""

import pytest

from torchdoctor.errors import UsageError
from torchdoctor.hostlist import compress, expand, node_label


@pytest.mark.parametrize("text,names", [
    ("node[01-03]", ["node01", "node02", "node03"]),
    ("node[08-10]", ["node08", "node09", "node10"]),  # zero padding kept across the width
    ("gpu[1-2,5],login", ["gpu1", "gpu2", "gpu5", "login"]),
    ("r[1-2]-g[1-2]", ["r1-g1", "r1-g2", "r2-g1", "r2-g2"]),
    ("a b,c", ["a", "b", "c"]),
    ("n1,n1,n2", ["n1", "n2"]),
    ("n[7]", ["n7"]),
])
def test_expand(text, names):
    assert expand(text) == names


@pytest.mark.parametrize("bad", ["", "n[1-", "n]1[", "n[3-1]", "n[a-b]", "n[[1]]", "n[1-999999999]"])
def test_bad_host_lists_are_usage_errors(bad):
    with pytest.raises(UsageError):
        expand(bad)


def test_compress_round_trips():
    for text in ("node[01-03,05,09-11],login,x7", "n[1-3,10]", "gpu[001-128]"):
        assert expand(compress(expand(text))) == expand(text)
    assert compress(["node09", "node10", "node11"]) == "node[09-11]"
    assert compress(["n1", "n2", "n3", "n10"]) == "n[1-3,10]"


def test_node_label_order():
    assert node_label(None, {"SLURMD_NODENAME": "gpu07"}) is None  # off by default
    assert node_label("auto", {"SLURMD_NODENAME": "gpu07", "NODE_NAME": "k8s-a"}) == "gpu07"
    assert node_label("auto", {"SLURM_TOPOLOGY_ADDR": "s0.s1.gpu08"}) == "gpu08"
    assert node_label("auto", {"NODE_NAME": "aks-gpu-123"}) == "aks-gpu-123"
    assert node_label("auto", {"K8S_NODE_NAME": "gke-n1"}) == "gke-n1"
    host = node_label("auto", {})
    assert host and "." not in host
    assert node_label("rack3-n12", {}) == "rack3-n12"
    for bad in ("a b", "x\ny", "-rf", "$(id)"):
        with pytest.raises(UsageError):
            node_label(bad, {})
