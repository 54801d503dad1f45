"""`autograd.backends`: the `torch.backends` flags programs set or query. None of them
changes what this engine computes (numpy on the CPU); they exist so that such programs run.
"""

from . import cuda, cudnn, mps
