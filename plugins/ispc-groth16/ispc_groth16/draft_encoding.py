"""The ispc.draft signal mappings (v1, v2): it lives in the core (shared with ispc-gnark)."""

from ispc_framework.plugins import (check_rules, circuit_inputs, contract_element,
                                            field_of, issuer_element, public_inputs,
                                            result_limbs, token_element)

__all__ = ["field_of", "contract_element", "token_element", "issuer_element", "result_limbs",
           "circuit_inputs", "public_inputs", "check_rules"]
