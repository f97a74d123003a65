"""``biject_to`` and ``transform_to``: registries from constraints to the transforms that map
unconstrained space onto them (PyTorch's ``constraint_registry`` module).

Each is a ``ConstraintRegistry``: called with a constraint it returns a transform, and
``register(ConstraintType)`` (a decorator, or with the factory as second argument) adds or
overrides the factory for one constraint class, as libraries built on PyTorch do for their own
constraints. Constraints no one registered fall back to the built-in maps of ``transforms``."""
from . import constraints
from .transforms import _transform

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """Maps constraint classes to factories ``factory(constraint) -> Transform``."""

    def __init__(self):
        self._registry = {}
        self._builtin = None  # biject_to/transform_to: the built-in maps, for what no one registered

    def register(self, constraint, factory=None):
        if factory is None:  # used as a decorator
            return lambda factory: self.register(constraint, factory)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not isinstance(constraint, type) or not issubclass(constraint, constraints.Constraint):
            raise TypeError("Expected constraint to be either a Constraint subclass or instance, "
                            f"but got {constraint}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        factory = self._registry.get(type(constraint))
        if factory is not None:
            return factory(constraint)
        if self._builtin is None:
            raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints")
        return self._builtin(constraint)


biject_to = ConstraintRegistry()
biject_to._builtin = lambda constraint: _transform(constraint, bijective=True)
transform_to = ConstraintRegistry()
transform_to._builtin = lambda constraint: _transform(constraint, bijective=False)
