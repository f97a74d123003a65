#!/usr/bin/env bash
# The GPU checks of issue 9 as one prepared run, for a session that has the device machine
# (an NVIDIA GPU with CuPy for CUDA 13 and a CUDA PyTorch already installed, no network).
#
#   here, once:        bash tools/gpu-check.sh prepare        # wheels of the five parts -> .whl/
#   on the device:     run(command="bash tools/gpu-check.sh run", carry=[".whl"], timeout_s=540)
#
# `run` installs the wheels into /tmp/site (no dependencies: the machine has NumPy, CuPy, pluggy,
# pytest, SciPy and safetensors), then, each step's log under $OUT (or ./gpu-check-out):
#   1. the device: nvidia-smi, what tensorgraft.cuda sees;
#   2. the CUDA suite: the core/autograd/nn/optim suites parametrized over devices, the CUDA
#      backend's own tests (tox env `cuda` runs the same);
#   3. every package's tests with CUDA present (pytest-xdist when there);
#   4. the GPU benchmarks: seed net, MLP batch 1024, small CNN batch 256 - tensorgraft on CUDA vs
#      PyTorch on CUDA in the same run, and tensorgraft on CPU (benchmarks/workloads/cuda.py).
# GPU_CHECK_FAKE=1 runs the same steps on a CPU machine against the fake CuPy (a dry run of the
# script itself; its figures mean nothing).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
PARTS="packages/tensor-core packages/autograd-engine packages/nn-layers packages/optimizers packages/cuda-backend"
DEVICE_SUITES="packages/tensor-core/tests/test_core_on_devices.py packages/autograd-engine/tests/test_autograd_on_devices.py
  packages/nn-layers/tests/test_nn_on_devices.py packages/nn-layers/tests/test_nn_every_module_on_devices.py
  packages/optimizers/tests/test_optim_on_devices.py packages/cuda-backend/tests"
export TENSORGRAFT_STRICT_PLUGINS=1 PYTHONUNBUFFERED=1

case "${1:-}" in
prepare)
  rm -rf .whl && mkdir -p .whl
  "$PY" -m pip wheel --quiet --no-deps -w .whl $PARTS || exit 1
  ls -l .whl
  ;;
run)
  if [ "${GPU_CHECK_FAKE:-0}" = 1 ]; then
    export PYTHONPATH="$PWD/packages/cuda-backend/tests/fake_cupy${PYTHONPATH:+:$PYTHONPATH}" FAKE_CUPY_DEVICES=1
  else
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
      || { echo "wheels missing: run 'bash tools/gpu-check.sh prepare' here and carry .whl"; exit 1; }
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
  fi
  rc=0
  { nvidia-smi -L 2>&1 || true
    "$PY" -c "import tensorgraft as tg, cupy, numpy; print('tensorgraft.cuda available:', tg.cuda.is_available(),
      tg.cuda.device_count(), tg.cuda.get_device_name(0) if tg.cuda.is_available() else '', '| cupy', cupy.__version__,
      '| numpy', numpy.__version__)"
  } 2>&1 | tee "$OUT/1-device.log"
  echo "== 2. CUDA suite"
  # shellcheck disable=SC2086
  "$PY" tools/run_pytest.py -q $DEVICE_SUITES tests/test_benchmarks_cuda_workloads.py 2>&1 | tee "$OUT/2-cuda-suite.log" | tail -25
  [ "${PIPESTATUS[0]}" = 0 ] || rc=1
  echo "== 3. every package's tests with CUDA present"
  xdist=()
  "$PY" -c "import xdist" 2>/dev/null && xdist=(-n 8)
  "$PY" tools/run_pytest.py -q "${xdist[@]}" packages 2>&1 | tee "$OUT/3-packages.log" | tail -25
  [ "${PIPESTATUS[0]}" = 0 ] || rc=1
  echo "== 4. GPU benchmarks"
  "$PY" benchmarks/run.py cuda_seed_manual_step cuda_mlp784_b1024_step cuda_small_cnn_b256_step --rounds 7 \
    --json "$OUT/4-gpu-bench.json" 2>&1 | tee "$OUT/4-gpu-bench.log"
  [ "${PIPESTATUS[0]}" = 0 ] || rc=1
  exit "$rc"
  ;;
*)
  echo "usage: bash tools/gpu-check.sh prepare|run" >&2
  exit 2
  ;;
esac
