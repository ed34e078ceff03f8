"""
The PyTorch peer: the same activation-maximization loop as a PyTorch user writes it. Both networks are rebuilt
in torch and their weights loaded from Ascent's ONNX files (onnx.numpy_helper): MatMul weights are [in, out] in
ONNX and [out, in] in nn.Linear; Conv weights are OIHW in both. Before timing, the torch logits of a test image
must equal onnxruntime's (given by the caller) to 1e-4.

The loop: x = the API's default start images, requires_grad; torch.optim.Adam([x], lr); per step: zero_grad, objective = sum(w * logits),
(-objective).backward(), step, clamp_(0, 1). The network's own parameters are frozen (requires_grad False), so
backward computes the input gradient only, as Ascent's gradient program does. One thread.

Run by the benchmark: /usr/bin/python3 bench/torch_loop.py < request.json; prints one JSON object. CPU time is
time.process_time() around each request (Python start-up and model loading excluded).
"""
import json
import sys
import time

try:
    import numpy as np
    import onnx
    import torch
    from onnx import numpy_helper
except ImportError as e:  # reported as "not installed" by the benchmark
    print(json.dumps({"error": "not installed", "detail": str(e)}))
    sys.exit(0)

torch.set_num_threads(1)
torch.set_num_interop_threads(1)


def initializers(path):
    model = onnx.load(path)
    return {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}


class Mlp(torch.nn.Module):
    """Flatten -> Dense(128, relu) -> Dense(10) (logits)."""

    def __init__(self, w):
        super().__init__()
        self.dense = torch.nn.Linear(784, 128)
        self.out = torch.nn.Linear(128, 10)
        with torch.no_grad():
            self.dense.weight.copy_(w["dense/kernel"].T)
            self.dense.bias.copy_(w["dense/bias"])
            self.out.weight.copy_(w["dense_1/kernel"].T)
            self.out.bias.copy_(w["dense_1/bias"])

    def forward(self, x):
        return self.out(torch.relu(self.dense(x.reshape(x.shape[0], -1))))


class Cnn(torch.nn.Module):
    """Conv(32, 3x3, relu) -> MaxPool(2) -> Flatten (NCHW) -> Dense(128, relu) -> BatchNorm (inference) -> Dense(10)."""

    def __init__(self, w):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 32, 3)
        self.dense = torch.nn.Linear(5408, 128)
        self.bn = torch.nn.BatchNorm1d(128, eps=1e-3)
        self.out = torch.nn.Linear(128, 10)
        with torch.no_grad():
            self.conv.weight.copy_(w["conv2d/kernel"])  # OIHW in both
            self.conv.bias.copy_(w["conv2d/bias"])
            self.dense.weight.copy_(w["dense/kernel"].T)  # the ONNX rows are already in NCHW flatten order
            self.dense.bias.copy_(w["dense/bias"])
            self.bn.weight.copy_(w["batch_normalization/gamma"])
            self.bn.bias.copy_(w["batch_normalization/beta"])
            self.bn.running_mean.copy_(w["batch_normalization/moving_mean"])
            self.bn.running_var.copy_(w["batch_normalization/moving_variance"])
            self.out.weight.copy_(w["dense_1/kernel"].T)
            self.out.bias.copy_(w["dense_1/bias"])

    def forward(self, x):
        h = torch.max_pool2d(torch.relu(self.conv(x.unsqueeze(1))), 2)
        h = torch.relu(self.dense(h.flatten(1)))
        return self.out(self.bn(h))


NETWORKS = {"fashion-mlp": Mlp, "fashion-cnn": Cnn}


def objective_weights(batch, cls):
    # class cls for every sample: batch 10 is ten restarts of one class, as the API's restarts=10
    w = torch.zeros(batch, 10)
    w[:, cls] = 1
    return w


STARTS = None


def maximize(net, batch, steps, lr, cls):
    w = objective_weights(batch, cls)
    # the API's default start images (given by the benchmark), the first `batch` of them
    x = STARTS[:batch].clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        objective = (net(x) * w).sum()
        (-objective).backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(0, 1)
    with torch.no_grad():
        p = torch.softmax(net(x), dim=1)
    return float(sum(p[s, cls] for s in range(batch)) / batch)


def warm_until_settled(run, window, min_runs, max_runs, max_s):
    """The warm-up every runtime gets (bench/stats.ts warmUntilSettled): requests until the median CPU of the
    last `window` is within 10% of the `window` before."""
    costs = []
    end = time.perf_counter() + max_s
    while len(costs) < max_runs and time.perf_counter() < end:
        c0 = time.process_time()
        run()
        costs.append(time.process_time() - c0)
        if len(costs) >= max(2 * window, min_runs):
            last = sorted(costs[-window:])[window // 2]
            before = sorted(costs[-2 * window:-window])[window // 2]
            if abs(last - before) <= 0.1 * before:
                break
    return costs


def main():
    global STARTS
    req = json.load(sys.stdin)
    STARTS = torch.tensor(req["starts"], dtype=torch.float32).reshape(-1, 28, 28)
    warmup = req["warmup"]
    rows = []
    for m in req["models"]:
        net = NETWORKS[m["id"]](initializers(m["onnx"]))
        net.eval()
        for p in net.parameters():
            p.requires_grad_(False)
        with torch.no_grad():
            got = net(torch.tensor(m["pixels"], dtype=torch.float32).reshape(1, 28, 28))[0]
        error = float((got - torch.tensor(m["logits"])).abs().max())
        if not error <= 1e-4:
            for batch in req["batches"]:
                rows.append({"model": m["id"], "batch": batch, "requests": [], "probability": None, "logitError": error,
                             "skipped": "torch logits differ from onnxruntime's by %.3g" % error})
            continue
        for batch in req["batches"]:
            maximize(net, batch, 8, req["lr"], req["cls"])  # warm-up
            t0 = time.process_time()
            maximize(net, batch, 16, req["lr"], req["cls"])
            estimate = (time.process_time() - t0) / 16 * req["steps"]
            reps = max(1 if req["quick"] else 3, min(10, int((8 if req["quick"] else 20) / max(estimate, 1e-3))))
            warm_until_settled(lambda: maximize(net, batch, req["steps"], req["lr"], req["cls"]),
                               warmup["window"], warmup["minRuns"], warmup["maxRuns"], warmup["maxMs"] / 1000)
            requests = []
            probability = float("nan")
            for _ in range(reps):
                c0, w0 = time.process_time(), time.perf_counter()
                probability = maximize(net, batch, req["steps"], req["lr"], req["cls"])
                requests.append({"cpuMs": (time.process_time() - c0) * 1000, "wallMs": (time.perf_counter() - w0) * 1000})
            rows.append({"model": m["id"], "batch": batch, "requests": requests, "probability": probability, "logitError": error})
    print(json.dumps({"torch": torch.__version__, "numpy": np.__version__, "onnx": onnx.__version__, "threads": torch.get_num_threads(), "rows": rows}))


if __name__ == "__main__":
    main()
