"""The PyTorch Benchmark tutorial (torch.utils.benchmark): Timer with globals, labels and thread
counts, timeit / blocked_autorange / adaptive_autorange, Measurement summaries, and Compare tables
of saved results. Timings vary from run to run, so only what does not depend on the machine's speed
is printed (statements, labels, counts, thread settings); the tables and summaries are printed for
results saved with fixed times, as the tutorial compares pickled results."""
import pickle
import re

import tensorgraft as torch
import tensorgraft.utils.benchmark as benchmark
from tensorgraft.utils.benchmark import Measurement, TaskSpec

torch.manual_seed(0)


def batched_dot_mul_sum(a, b):
    """Computes batched dot by multiplying and summing"""
    return a.mul(b).sum(-1)


def batched_dot_bmm(a, b):
    """Computes batched dot by reducing to ``bmm``"""
    a = a.reshape(-1, 1, a.shape[-1])
    b = b.reshape(-1, b.shape[-1], 1)
    return torch.bmm(a, b).flatten(-3)


x = torch.randn(100, 64)
print("same result:", torch.allclose(batched_dot_mul_sum(x, x), batched_dot_bmm(x, x)))

t0 = benchmark.Timer(
    stmt="batched_dot_mul_sum(x, x)",
    setup="from __main__ import batched_dot_mul_sum",
    globals={"x": x})
t1 = benchmark.Timer(
    stmt="batched_dot_bmm(x, x)",
    globals={"x": x, "batched_dot_bmm": batched_dot_bmm})

m0 = t0.timeit(20)
m1 = t1.timeit(20)
for m in (m0, m1):
    print(type(m).__name__, m.task_spec.stmt, "| setup:", m.task_spec.setup)
    print("  number_per_run:", m.number_per_run, "raw_times:", len(m.raw_times), "times:", len(m.times),
          "threads:", m.task_spec.num_threads)
    print("  title:", m.title, "| row:", m.as_row_name, "| positive:", m.median > 0 and m.mean > 0)

# torch is in the statement's namespace without being passed
m = benchmark.Timer("torch.ones(8).sum()").timeit(5)
print("torch injected:", m.number_per_run, len(m.times))
# the statement's assignments stay out of the caller's dict
g = {"x": x}
benchmark.Timer("y = x * 2", globals=g).timeit(3)
print("globals after:", sorted(g))
# an indented triple-quoted statement is dedented
print(repr(benchmark.Timer("""
    y = x + 1
    z = y * 2
""", globals={"x": 1}).timeit(2).task_spec.stmt))

# num_threads applies while timing and is restored afterwards
torch.set_num_threads(1)
seen = []
benchmark.Timer("seen.append(torch.get_num_threads())", globals={"seen": seen}, num_threads=2).timeit(4)
print("threads while timing:", sorted(set(seen)), "after:", torch.get_num_threads())

calls = []
m = benchmark.Timer("x.sum()", globals={"x": x}, label="sum", sub_label="100x64", description="float32") \
    .blocked_autorange(callback=lambda number, time: calls.append(number), min_run_time=0.05)
print("blocked_autorange:", m.label, "/", m.sub_label, "/", m.description, "| blocks called back:",
      len(calls) == len(m.times), "| runs per block agree:", calls[0] == m.number_per_run)
m = benchmark.Timer("x.sum()", globals={"x": x}).adaptive_autorange(min_run_time=0.01, max_run_time=0.5)
print("adaptive_autorange:", type(m).__name__, len(m.times) >= 1)

# the summary a Measurement prints (here with saved times: 379.29 us per run)
spec = TaskSpec(stmt="batched_dot_bmm(x, x)", setup="from __main__ import batched_dot_bmm",
                label="Batched dot", sub_label="[100, 64]", description="bmm")
print(Measurement(number_per_run=100, raw_times=[0.037929], task_spec=spec))
print(Measurement(number_per_run=100, raw_times=[0.0379, 0.0388, 0.0381, 0.0392, 0.0401], task_spec=spec))
noisy = Measurement(number_per_run=10, raw_times=[0.010, 0.012, 0.016, 0.011, 0.014, 0.019],
                    task_spec=TaskSpec(stmt="x @ x", setup="pass", num_threads=4))
print(noisy)
print("median/iqr/sigfigs:", f"{noisy.median:.6f}", f"{noisy.iqr:.6f}", noisy.significant_figures,
      noisy.has_warnings, noisy.meets_confidence(threshold=0.5))
print(Measurement(number_per_run=1000, raw_times=[2.5e-6] * 5,
                  task_spec=TaskSpec(stmt="a = 1\nb = a + 1", setup="pass", sub_label="two lines")))

# a results table of saved measurements: sizes down, implementations across, per thread count
results = []
for n, base in [(1, 1.1e-5), (64, 2.4e-5), (1024, 3.9e-4), (10000, 3.6e-3)]:
    for desc, factor in [("mul/sum", 1.0), ("bmm", 1.35)]:
        for threads in [1, 4]:
            per_run = base * factor / (threads ** 0.8)
            times = [per_run * (1 + 0.02 * i) for i in range(5)]
            results.append(Measurement(number_per_run=10, raw_times=[t * 10 for t in times], task_spec=TaskSpec(
                stmt="batched_dot(x, x)", setup="pass", label="Batched dot", sub_label=f"[{n}, 64]",
                description=desc, num_threads=threads)))
results = pickle.loads(pickle.dumps(results))  # saved and loaded back, as the tutorial does
compare = benchmark.Compare(results)
compare.print()
compare.trim_significant_figures()
compare.print()
compare.colorize()
print(repr(str(compare).split("\n")[3]))

# a live comparison: its numbers vary, its rows and columns do not
live = []
for size in [8, 64]:
    v = torch.randn(size, 16)
    for label, stmt in [("mul/sum", "batched_dot_mul_sum(v, v)"), ("bmm", "batched_dot_bmm(v, v)")]:
        live.append(benchmark.Timer(stmt, globals={"v": v, "batched_dot_mul_sum": batched_dot_mul_sum,
                                                   "batched_dot_bmm": batched_dot_bmm},
                                    label="live", sub_label=f"size {size}", description=label).timeit(10))
table = str(benchmark.Compare(live)).split("\n")
print("\n".join(re.sub(r"-+$", "---", line.split("|")[0].rstrip()) for line in table[2:5]))
print(table[-2].startswith("Times are in "))

for bad in [lambda: benchmark.Timer(lambda: 1), lambda: benchmark.Timer("x", language="java"),
            lambda: benchmark.Timer("zz + 1").timeit(1), lambda: benchmark.Compare([1]),
            lambda: str(benchmark.Compare([m0]))]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
