"""The training layer, above nn and optim: Keras-style `fit` / `evaluate` / `predict`
(`ndgrad.fit`, also reachable as `nn.fit` & co) and the command-line job
(`python -m ndgrad.train`, installed as `ndgrad-train`)."""
