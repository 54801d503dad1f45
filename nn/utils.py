"""nn.utils (to be written)."""
