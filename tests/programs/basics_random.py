"""Random tensors and reproducibility as tutorials teach them: manual_seed, rand/randn/randint/
randperm/normal/bernoulli/multinomial, *_like factories, torch.Generator objects, in-place samplers
(uniform_, normal_, random_, exponential_), get/set_rng_state to replay, shuffling a dataset split,
and the argument mistakes users make with them."""
import tensorgraft as torch

torch.manual_seed(42)
print(torch.rand(3))
print(torch.randn(2, 3))
print(torch.randint(0, 10, (5,)))
print(torch.randint(5, (2, 2), dtype=torch.int32))
print(torch.randperm(8))
print(torch.normal(mean=0.0, std=1.0, size=(3,)))
print(torch.normal(torch.zeros(3), torch.ones(3)))
print(torch.normal(torch.arange(3.0), 0.5))
print(torch.bernoulli(torch.full((6,), 0.5)))
print(torch.multinomial(torch.tensor([0.1, 0.2, 0.7]), 5, replacement=True))
print(torch.multinomial(torch.tensor([1.0, 1.0, 1.0, 1.0]), 2))
print(torch.rand(2, dtype=torch.float64), torch.randn(2, dtype=torch.float16))
x = torch.empty(2, 3)
print(torch.rand_like(x), torch.randn_like(x).shape, torch.randint_like(x, 3, 9))

torch.manual_seed(0)
a = torch.rand(4)
torch.manual_seed(0)
b = torch.rand(4)
print(torch.equal(a, b))
state = torch.get_rng_state()
c = torch.randn(3)
torch.set_rng_state(state)
d = torch.randn(3)
print(torch.equal(c, d), state.dtype, state.shape)
print(torch.initial_seed())

g = torch.Generator().manual_seed(123)
print(torch.rand(3, generator=g))
print(torch.randint(0, 100, (3,), generator=g))
print(torch.randperm(5, generator=g))
g2 = torch.Generator()
g2.manual_seed(123)
print(torch.rand(3, generator=g2), g2.initial_seed())

t = torch.empty(5)
print(t.uniform_(-1, 1))
print(t.normal_(mean=10, std=0.1))
print(t.random_(0, 4))
print(t.exponential_(2.0))
print(t.fill_(0.5).bernoulli_(0.3))
print(torch.empty(3, dtype=torch.int64).random_(10))
print(torch.empty(4).geometric_(0.5), torch.empty(2).cauchy_(), torch.empty(2).log_normal_())

data = torch.arange(10)
perm = torch.randperm(len(data))
train, val = data[perm[:8]], data[perm[8:]]
print(train, val)
idx = torch.randint(len(data), (4,))
print(data[idx], torch.rand(2, 2).argmax(), torch.randn(3).sort().values)
noise = torch.randn(3) * 0.1 + 2
print(noise, noise.mean() > 1)

for bad in [lambda: torch.randint(5, 2, (3,)),
            lambda: torch.randint(0, 5),
            lambda: torch.randint(0, 5, 3),
            lambda: torch.rand(2, 3, dtype=torch.int64),
            lambda: torch.randn(-1),
            lambda: torch.randperm(-2),
            lambda: torch.normal(0.0, -1.0, size=(2,)),
            lambda: torch.multinomial(torch.tensor([0.5, 0.5]), 3),
            lambda: torch.multinomial(torch.tensor([-1.0, 2.0]), 1),
            lambda: torch.bernoulli(torch.tensor([1.5])),
            lambda: torch.empty(2).uniform_(1, 0),
            lambda: torch.manual_seed(-1) and None,
            lambda: torch.manual_seed(1.5),
            lambda: torch.Generator().manual_seed("a")]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
