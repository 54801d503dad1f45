"""nn.init (to be written)."""
