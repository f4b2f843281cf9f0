"""PyTorch-CPU side of bench/training.ts (not a test): trains the same MLP on the same rows with the same
recipe (standardised inputs, Adam with epsilon 1e-7, batch, epochs, learning rate, one thread) and prints one
JSON line with the training time (wall and CPU), the last epoch's mean loss, the training accuracy and the peak RSS.

Run by the bench with /usr/bin/python3 (Debian: apt-get install python3-torch libopenblas0-openmp).
usage: pytorch_training.py FEATURES.f32 LABELS.i32 ROWS FEATURES HIDDEN(comma-separated) CLASSES EPOCHS BATCH LR
"""
import json
import resource
import sys
import time

import numpy as np
import torch


def main() -> None:
    features_path, labels_path = sys.argv[1], sys.argv[2]
    rows, width = int(sys.argv[3]), int(sys.argv[4])
    hidden = [int(h) for h in sys.argv[5].split(",") if h]
    classes, epochs, batch, lr = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), float(sys.argv[9])
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x = np.fromfile(features_path, dtype=np.float32).reshape(rows, width)
    std = x.std(axis=0)
    x = (x - x.mean(axis=0)) / np.where(std > 1e-6, std, 1.0)
    xs = torch.from_numpy(x.astype(np.float32))
    ys = torch.from_numpy(np.fromfile(labels_path, dtype=np.int32).astype(np.int64))
    layers = []
    widths = [width, *hidden, classes]
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(1)
    started = time.perf_counter()
    cpu_started = time.process_time()
    last_loss = 0.0
    for _ in range(epochs):
        order = torch.randperm(rows, generator=generator)
        total, steps = 0.0, 0
        for start in range(0, rows, batch):
            idx = order[start : start + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(xs[idx]), ys[idx])
            loss.backward()
            optimizer.step()
            total += loss.item()
            steps += 1
        last_loss = total / steps
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    with torch.no_grad():
        accuracy = (model(xs).argmax(dim=1) == ys).float().mean().item()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpuSeconds": cpu_seconds,
                "loss": last_loss,
                "accuracy": accuracy,
                "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
