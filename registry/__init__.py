"""Registry core: the domain of major construction project disclosure (重大建设项目全链条信息公开).

Framework-free: nothing here knows about HTTP or GraphQL except the two composition
roots, ``registry.app`` and ``registry.cli``.
"""

__version__ = "0.3.0"  # the one version source (pyproject.toml reads it)
