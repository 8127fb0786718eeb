"""Every number means what its label says (issue 11): each test here fails on the behaviour before it."""
import torch


def test_fp32_turns_tf32_off():
    from tlbench.models.device import configure_precision

    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    configure_precision(torch.device("cuda"), "fp32")
    assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
