"""`torch.backends.cudnn` on a CPU-only build: flags users set for reproducibility or speed
(`deterministic`, `benchmark`); they have no effect here."""

enabled = True
deterministic = False
benchmark = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version() -> None:
    return None
