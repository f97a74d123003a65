"""The random samplers live in ops/sampling.py (split from ops/creation.py)."""
import tensorgraft as tg


def test_samplers_moved_to_sampling_keep_their_old_import_path():
    # ops/creation.py held the samplers until they got ops/sampling.py; old imports (and pickles) still work
    import tensorgraft.ops.creation as creation
    import tensorgraft.ops.sampling as sampling
    for name in ("rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "dropout_mask",
                 "write_host_values"):
        assert getattr(creation, name) is getattr(sampling, name)
    # (behind a __torch_function__ dispatch wrapper once a test turned dispatch on)
    assert getattr(tg.rand, "__torch_function_wrapped__", tg.rand) is sampling.rand
