"""The ``ispc.plugins`` entry point of ispc-groth16: registration only, imports nothing heavy."""

from __future__ import annotations

from ispc_framework.plugins import hookimpl
from ispc_framework.plugins import ProverSpec, Setting, worker_prover_settings


#: ``[plugin.groth16]``: declared once; the config and Groth16Prover both check against it.
SETTINGS = worker_prover_settings(
    Setting("backend", "str", "groth16py", "proving backend in the worker",
            choices=("groth16py", "snarkjs")),
    # a 2^14 powers of tau takes ~11 minutes on 2 cores
    Setting("setup_timeout_s", "float", 7200.0, "seconds `ispc setup` may take", positive=True),
    Setting("setup_mode", "str", "ceremony", "ceremony (snarkjs) or testing (one party)",
            choices=("ceremony", "testing")),
    Setting("ptau", "path", "", "prepared powers-of-tau file; empty: make one locally"),
    Setting("node_modules", "path", "", "node_modules holding circom2/snarkjs/circomlib"),
)


@hookimpl
def ispc_register_provers():
    return [ProverSpec(
        name="groth16",
        factory="ispc_groth16.prover:Groth16Prover",
        description="Groth16 on BN254 through a subprocess prover (groth16py or snarkjs backend)",
        api=(1, 1),
        circuits=("ispc.draft.v2", "ispc.draft.v2.small", "ispc.draft.v1", "ispc.draft.v1.small"),
        capabilities={"setup-testing", "setup-ceremony", "subprocess-worker", "backend-groth16py",
                      "backend-snarkjs"},
        settings=SETTINGS,
    )]
