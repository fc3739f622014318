"""Governance: federated policies checked on every publish and update, and the mesh's policy file."""

from streammesh.governance.exceptions import PolicyConfigError, PolicyViolationError
from streammesh.governance.policies import POLICIES, Policy, Violation, check_contract, enforce, policy_ids
from streammesh.governance.policy_file import PolicyConfig, load_policy_config, write_default_policy_file

__all__ = [
    "POLICIES",
    "Policy",
    "PolicyConfig",
    "PolicyConfigError",
    "PolicyViolationError",
    "Violation",
    "check_contract",
    "enforce",
    "load_policy_config",
    "policy_ids",
    "write_default_policy_file",
]
