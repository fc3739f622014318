"""Contracts: the model, YAML loading with located errors, and dumping."""

from streammesh.contracts.exceptions import ContractError, ContractProblem
from streammesh.contracts.loader import contract_from_dict, dump_contract, load_contract, parse_contract
from streammesh.contracts.model import Contract, Deprecation, SchemaSpec, Sla, Support

__all__ = [
    "Contract",
    "ContractError",
    "ContractProblem",
    "Deprecation",
    "SchemaSpec",
    "Sla",
    "Support",
    "contract_from_dict",
    "dump_contract",
    "load_contract",
    "parse_contract",
]
