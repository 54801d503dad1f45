"""Test-suite settings.

Hypothesis runs derandomized by default, so that the suite (and CI) gives the same result
every time; `pytest --hypothesis-profile=explore` draws fresh random examples instead, to
hunt for new failures.
"""

from hypothesis import HealthCheck, settings

settings.register_profile("default", derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, max_examples=200,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")
