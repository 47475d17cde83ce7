"""Pure, deterministic functions from the spec to the plan the components declare."""

from .nat import DnatRule, NatPlan, nat_plan

__all__ = ["DnatRule", "NatPlan", "nat_plan"]
