"""tensorgraft's plugin system (pluggy). See ``hookspecs.py`` for the hooks a plugin implements."""
from .hookspecs import hookimpl, hookspec
from .manager import PluginFailure, PluginLoadError, TensorgraftPluginWarning, get_plugin_manager, load_plugin, report

__all__ = ["hookimpl", "hookspec", "PluginFailure", "PluginLoadError", "TensorgraftPluginWarning",
           "get_plugin_manager", "load_plugin", "report"]
