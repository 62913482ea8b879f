"""Peers the benchmarks compare against, each in an environment of its own (never a dependency
of the project): py-evm (setup_pyevm.sh -> benchmarks/.venv-pyevm)."""
