"""The Pulumi program that deploys ``infra/manifest.py`` to AWS.

``deploy(naming, config)`` (in ``program.py``) declares every resource; ``__main__.py`` is the entry
point the Pulumi CLI runs, reading the stage's stack file (``Pulumi.<stage>.yaml``). Tests drive
``deploy`` with Pulumi's mocks: no CLI, no cloud.
"""
