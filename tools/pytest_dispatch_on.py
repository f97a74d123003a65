"""pytest plugin for the ``dispatch-on`` tox environment: turns tensorgraft's ``__torch_function__``
dispatch on once every test module is imported, as in a program that defines a Tensor subclass
after its imports. The whole suite then runs on the dispatch wrappers, so code that only works on
the unwrapped functions (an identity check against a function taken at import, a warning's
``stacklevel`` counted without the wrapper's frame) fails here rather than in a user's program.

    python tools/run_pytest.py -p pytest_dispatch_on packages tests    (with tools/ on PYTHONPATH)
"""


def pytest_collection_finish(session):
    from tensorgraft import overrides
    overrides.get_overridable_functions()  # (turns dispatch on)


def pytest_report_header(config):
    return "tensorgraft: __torch_function__ dispatch turned on after collection (tools/pytest_dispatch_on.py)"
