"""The hooks a tensorgraft plugin can implement. This module *is* the plugin API reference.

A plugin is a module (or object) exposed through an entry point in the ``tensorgraft`` group::

    [project.entry-points.tensorgraft]
    example-ops = "tensorgraft_example_ops.plugin"

and decorated with ``tensorgraft.plugins.hookimpl``. Every hook is called **once, at load time**
(the first ``import tensorgraft``), with a ``registrar`` that remembers which distribution is
registering, so conflicts can name both sides. Nothing calls a hook per op.

Phases run in this order, each for every plugin (core's own built-in plugin first):

1. ``tensorgraft_add_hookspecs`` — parts that add extension points add their hookspecs.
2. ``tensorgraft_register_devices``
3. ``tensorgraft_register_ops``
4. ``tensorgraft_register_formulas``   (spec added by tensorgraft-autograd)
5. ``tensorgraft_register_optimizers`` (spec added by tensorgraft-optim)
6. ``tensorgraft_configure``

If a plugin raises in any phase it is recorded (distribution, version, exception), a
``TensorgraftPluginWarning`` names it, whatever it had registered is removed, and loading
continues without it. ``TENSORGRAFT_STRICT_PLUGINS=1`` turns that into an exception.

Implement hooks from a part that might not be installed with ``@hookimpl(optionalhook=True)``
(for example ``tensorgraft_register_formulas`` in a plugin that works without autograd).
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("tensorgraft")
hookimpl = pluggy.HookimplMarker("tensorgraft")


@hookspec
def tensorgraft_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    """Add hookspecs of your own: ``pluginmanager.add_hookspecs(my_hookspecs_module)``.

    Called for every plugin as it is registered, before any registration phase. tensorgraft's
    autograd engine adds ``tensorgraft_register_formulas`` here; the optimizers part adds
    ``tensorgraft_register_optimizers``.
    """


@hookspec
def tensorgraft_register_devices(registrar) -> None:
    """Register device backends: ``registrar.register_device(MyBackend())``.

    ``MyBackend`` subclasses ``tensorgraft.device.DeviceBackend`` and names its ``type``
    (``"cuda"``, ``"npcopy"``...), its array namespace ``xp`` and how arrays move to and from
    host memory. Every op then runs on the device through its generic ``xp`` kernel unless a
    specialised one is registered with ``registrar.register_kernel(op, device_type, fn)``.
    Registering a type that already exists raises ``DuplicateRegistrationError``.
    """


@hookspec
def tensorgraft_register_ops(registrar) -> None:
    """Register ops (``registrar.register_op(OpDef(...))``) and device-specialised kernels
    for existing ops (``registrar.register_kernel(name, device_type, fn)``).

    Third-party op names are ``"<namespace>.<name>"`` and are exposed as
    ``tensorgraft.ops.<namespace>.<name>``; core's ops are plain names (``tensorgraft.add``).
    ``tensorgraft.plugins.api`` has helpers to build ``OpDef`` objects for elementwise ops.
    """


@hookspec
def tensorgraft_configure(config) -> None:
    """Called last, once every plugin has registered. ``config.registry`` is the filled
    registry and ``config.plugins`` the loaded plugins; use it for cross-plugin setup."""


@hookspec
def tensorgraft_report() -> dict:
    """Return extra lines for ``tensorgraft plugins`` (a dict of label -> value)."""
