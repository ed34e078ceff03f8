"""
The floor's measuring half: seconds per single-precision matrix product on this machine, one thread, for the
exact shapes of a gradient step ([M, K] x [K, N], given by floor.ts). Three implementations are timed and per
shape the fastest counts: numpy (whatever BLAS Debian's alternatives point at), torch.mm (the same BLAS) and
torch's bundled oneDNN (an MKL-DNN Linear), which is the fast one when only the reference BLAS is installed. A product is repeated until about 0.04 s has passed, three times, the
best of the three kept; the per-call overhead of the library (the same call on 1x1 matrices) is subtracted (at
most half the time), so the floor is arithmetic, not Python.

Run by the benchmark: /usr/bin/python3 bench/floor.py < {"shapes": [[M, K, N], ...]}; prints one JSON object.
"""
import json
import os
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

try:
    import numpy as np
except ImportError as e:
    print(json.dumps({"error": "not installed", "detail": str(e)}))
    sys.exit(0)
try:
    import torch
    import torch.utils.mkldnn

    torch.set_num_threads(1)
except ImportError:
    torch = None


def best_seconds(call):
    call()
    n = 1
    while True:  # calls per timing so that one timing takes about 0.1 s
        t0 = time.perf_counter()
        for _ in range(n):
            call()
        dt = time.perf_counter() - t0
        if dt > 0.04 or n > 1_000_000:
            break
        n *= 2 if dt > 0.01 else 8
    best = dt / n
    for _ in range(2):
        t0 = time.perf_counter()
        for _ in range(n):
            call()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def numpy_call(m, k, n):
    a = np.random.rand(m, k).astype(np.float32)
    b = np.random.rand(k, n).astype(np.float32)
    c = np.empty((m, n), dtype=np.float32)
    return lambda: np.matmul(a, b, out=c)


def torch_call(m, k, n):
    a = torch.rand(m, k)
    b = torch.rand(k, n)
    c = torch.empty(m, n)
    return lambda: torch.mm(a, b, out=c)


def onednn_call(m, k, n):
    # torch's oneDNN (MKL-DNN) path: a bias-free Linear converted to an MKL-DNN module, on an MKL-DNN tensor
    lin = torch.utils.mkldnn.to_mkldnn(torch.nn.Linear(k, n, bias=False).eval())
    x = torch.rand(m, k).to_mkldnn()
    return lambda: lin(x)


def main():
    req = json.load(sys.stdin)
    libs = {"numpy": numpy_call}
    if torch is not None:
        torch.set_grad_enabled(False)
        libs["torch.mm"] = torch_call
        if torch.backends.mkldnn.is_available():
            libs["torch-onednn"] = onednn_call
    overhead = {name: best_seconds(make(1, 1, 1)) for name, make in libs.items()}
    results = []
    for m, k, n in req["shapes"]:
        per_lib = {}
        for name, make in libs.items():
            raw = best_seconds(make(m, k, n))
            # the overhead is subtracted, at most half of the time (the 1x1 timing is noisy)
            per_lib[name] = {"raw": raw, "seconds": raw - min(overhead[name], raw / 2)}
        lib = min(per_lib, key=lambda name: per_lib[name]["seconds"])
        results.append({"shape": [m, k, n], "lib": lib, "seconds": per_lib[lib]["seconds"], "byLib": per_lib})
    # peak: a large square product through the same implementations
    size = req.get("peak", 512)
    peak = {name: 2 * size**3 / best_seconds(make(size, size, size)) / 1e9 for name, make in libs.items()}
    print(json.dumps({"numpy": np.__version__, "torch": torch.__version__ if torch else None, "blas": blas_library(),
                      "overhead": overhead, "results": results, "peakGflops": peak, "peakSize": size}))


def blas_library():
    """The BLAS numpy actually loaded (Debian switches libblas.so.3 with update-alternatives)."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                name = line.strip().split("/")[-1]
                if "blas" in name or "mkl_rt" in name:
                    path = line[line.index("/"):].strip()
                    return os.path.realpath(path)
    except (OSError, ValueError):
        pass
    return "unknown"


if __name__ == "__main__":
    main()
