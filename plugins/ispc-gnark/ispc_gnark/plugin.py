"""The ``ispc.plugins`` entry point of ispc-gnark: registration only, imports nothing heavy."""

from __future__ import annotations

from ispc_framework.plugins import ProverSpec, Setting, hookimpl


@hookimpl
def ispc_register_provers():
    return [ProverSpec(
        name="gnark",
        factory="ispc_gnark.prover:GnarkProver",
        description="Groth16 on BN254 with gnark (Go) through a long-lived subprocess worker",
        api=(1, 1),
        circuits=("ispc.draft.v1", "ispc.draft.v1.small"),
        capabilities={"setup-testing", "setup-ceremony", "subprocess-worker", "backend-gnark",
                      "export-solidity"},
        doctor="ispc_gnark.build:doctor_checks",
        settings=[
            Setting("key_dir", "path", "ispc-gnark-keys", "directory of keys, named by vk hash"),
            Setting("timeout_s", "float", 60.0, "seconds a prove/verify request may take"),
            Setting("setup_timeout_s", "float", 3600.0, "seconds `ispc setup` may take"),
            Setting("setup_mode", "str", "ceremony",
                    "ceremony (gnark mpcsetup, phase 1 + phase 2) or testing (one party)",
                    choices=("ceremony", "testing")),
            Setting("contributions", "int", 1, "random contributions per ceremony phase"),
            Setting("worker_binary", "path", "",
                    "the built Go worker; empty: the build for this plugin's sources in the cache"),
            Setting("worker_command", "list", [], "another protocol-v1 worker command"),
            Setting("self_check", "bool", True, "verify every proof before returning it"),
            Setting("trusted_vk_hashes", "list", [],
                    "verification-key hashes (hex) verify accepts besides each circuit's CURRENT "
                    "key; obtain them from the setup you trust, never from the prover"),
            Setting("allow_testing_keys", "bool", False,
                    "accept testing-only (single-party) keys when proving and verifying; "
                    "tests and demos only"),
        ],
    )]
