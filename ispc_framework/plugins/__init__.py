"""Plugin API: descriptors, hook markers, the manager. Plugin authors import from here."""

from .hookspecs import hookimpl, hookspec
from .manager import AUTOLOAD_ENV, ENTRY_POINT_GROUP, PluginManager, PluginRecord
from .specs import (KINDS, PLUGIN_API_VERSION, EngineSpec, HostABIProviderSpec, PluginSpec,
                    ProverSpec, RepositorySpec, Setting, TraceSinkSpec, load_factory)

__all__ = [
    "hookimpl",
    "hookspec",
    "PluginManager",
    "PluginRecord",
    "ENTRY_POINT_GROUP",
    "AUTOLOAD_ENV",
    "KINDS",
    "PLUGIN_API_VERSION",
    "PluginSpec",
    "EngineSpec",
    "HostABIProviderSpec",
    "ProverSpec",
    "TraceSinkSpec",
    "RepositorySpec",
    "Setting",
    "load_factory",
]
