"""The ``ispc.plugins`` entry point of ispc-gnark: registration only, imports nothing heavy."""

from __future__ import annotations

from ispc_framework.plugins import ProverSpec, Setting, hookimpl, worker_prover_settings

#: ``[plugin.gnark]``: declared once; the config and GnarkProver both check against it.
SETTINGS = worker_prover_settings(
    # not ispc-groth16's: each prover keeps its own CURRENT keys
    Setting("key_dir", "path", "ispc-gnark-keys", "directory of keys, named by vk hash"),
    Setting("setup_timeout_s", "float", 3600.0, "seconds `ispc setup` may take", positive=True),
    Setting("setup_mode", "str", "ceremony",
            "ceremony (gnark mpcsetup, phase 1 + phase 2) or testing (one party)",
            choices=("ceremony", "testing")),
    Setting("worker_binary", "path", "",
            "the built Go worker; empty: the build for this plugin's sources in the cache"),
)


@hookimpl
def ispc_register_provers():
    return [ProverSpec(
        name="gnark",
        factory="ispc_gnark.prover:GnarkProver",
        description="Groth16 on BN254 with gnark (Go) through a long-lived subprocess worker",
        api=(1, 1),
        circuits=("ispc.draft.v2", "ispc.draft.v2.small", "ispc.draft.v1", "ispc.draft.v1.small"),
        capabilities={"setup-testing", "setup-ceremony", "subprocess-worker", "backend-gnark",
                      "export-solidity"},
        doctor="ispc_gnark.build:doctor_checks",
        settings=SETTINGS,
    )]
