# autograd.data: Dataset, DataLoader and bundled datasets (filled in by the lead).
