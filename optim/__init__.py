"""optim: optimizers and learning-rate schedulers, as in torch.optim (to be written)."""
