"""nn.Parameter (to be written)."""

from autograd import Tensor as Parameter  # placeholder
Buffer = Parameter
