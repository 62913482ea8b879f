"""The ``ispc.plugins`` entry point of ispc-groth16: registration only, imports nothing heavy."""

from __future__ import annotations

from ispc_framework.plugins import hookimpl
from ispc_framework.plugins import ProverSpec, Setting


#: ``[plugin.groth16]``: declared once; the config and Groth16Prover both check against it.
SETTINGS = (
    Setting("key_dir", "path", "ispc-keys", "directory of keys, named by vk hash"),
    Setting("backend", "str", "groth16py", "proving backend in the worker",
            choices=("groth16py", "snarkjs")),
    Setting("timeout_s", "float", 60.0, "seconds a prove/verify request may take",
            positive=True),
    Setting("setup_timeout_s", "float", 7200.0, "seconds `ispc setup` may take", positive=True),
    Setting("setup_mode", "str", "ceremony", "ceremony (snarkjs) or testing (one party)",
            choices=("ceremony", "testing")),
    Setting("ptau", "path", "", "prepared powers-of-tau file; empty: make one locally"),
    Setting("contributions", "int", 1, "random contributions per ceremony phase", positive=True),
    Setting("node_modules", "path", "", "node_modules holding circom2/snarkjs/circomlib"),
    Setting("worker_command", "list", [], "another protocol-v1 worker command"),
    Setting("self_check", "bool", True, "verify every proof before returning it"),
    Setting("trusted_vk_hashes", "list", [],
            "verification-key hashes (hex) verify accepts besides each circuit's CURRENT "
            "key; obtain them from the setup you trust, never from the prover"),
    Setting("allow_testing_keys", "bool", False,
            "accept testing-only (single-party) keys when proving and verifying; "
            "tests and demos only"),
)


@hookimpl
def ispc_register_provers():
    return [ProverSpec(
        name="groth16",
        factory="ispc_groth16.prover:Groth16Prover",
        description="Groth16 on BN254 through a subprocess prover (groth16py or snarkjs backend)",
        api=(1, 1),
        circuits=("ispc.draft.v1", "ispc.draft.v1.small"),
        capabilities={"setup-testing", "setup-ceremony", "subprocess-worker", "backend-groth16py",
                      "backend-snarkjs"},
        settings=SETTINGS,
    )]
