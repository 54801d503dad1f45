"""nn.Module (to be written)."""


class Module:  # placeholder until the nn issue lands
    pass
