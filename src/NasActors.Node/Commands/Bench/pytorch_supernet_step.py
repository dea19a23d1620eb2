#!/usr/bin/env python3
"""The PyTorch reference for `nas benchmark-step`: the same supernet, sampler and optimizer step as NasActors'
TorchSharp trainer, timed on the same machine in the same run.

Reads a JSON description of the space (written by its family in NasActors.Torch.Supernet.Families through
`nas benchmark-step`), builds the supernet with that family's builder in FAMILIES and the same shapes (BatchNorm
without affine parameters, bias-free convolutions) and layout (on a CPU, channels-last from the output of the stem's
first convolution on, unless the spec says otherwise), and times SPOS steps (one uniform path,
one batch) and FairNAS steps (m paths on m batches, gradients accumulated, one optimizer step) with SGD + momentum,
weight decay on weights with more than one dimension, label smoothing. Prints one JSON line of images/s per method.

Each path's batch is made the way the TorchSharp trainer makes it: a shuffled epoch order, the batch's images gathered
from the uint8 pixels and normalised, labels alongside; and after each backward pass the loss and the number of correct
predictions are read back (the trainer reports them per step). Without this the reference would time less work than
the trainer does.
"""
import gzip, json, random, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, k, stride=1, groups=1, relu=True):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout, affine=False)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class MbBlock(nn.Module):
    def __init__(self, cin, cout, stride, e, k):
        super().__init__()
        mid = cin * e
        self.residual = stride == 1 and cin == cout
        self.body = nn.Sequential(conv_bn(cin, mid, 1), conv_bn(mid, mid, k, stride, mid), conv_bn(mid, cout, 1, relu=False))

    def forward(self, x):
        y = self.body(x)
        return y + x if self.residual else y


def channel_split(x):
    # Even channels kept, odd ones processed (SPOS's shuffle), as strided views like the trainer's: they keep the layout.
    return x[:, 0::2], x[:, 1::2]


class ShuffleBlock(nn.Module):
    def __init__(self, cin, cout, mid, stride, choice):
        super().__init__()
        self.stride = stride
        out = cout - cin
        if choice == 3:
            self.main = nn.Sequential(conv_bn(cin, cin, 3, stride, cin, relu=False), conv_bn(cin, mid, 1),
                                      conv_bn(mid, mid, 3, 1, mid, relu=False), conv_bn(mid, mid, 1),
                                      conv_bn(mid, mid, 3, 1, mid, relu=False), conv_bn(mid, out, 1))
            k = 3
        else:
            k = [3, 5, 7][choice]
            self.main = nn.Sequential(conv_bn(cin, mid, 1), conv_bn(mid, mid, k, stride, mid, relu=False), conv_bn(mid, out, 1))
        if stride == 2:
            self.proj = nn.Sequential(conv_bn(cin, cin, k, 2, cin, relu=False), conv_bn(cin, cin, 1))

    def forward(self, x):
        if self.stride == 2:
            return torch.cat([self.proj(x), self.main(x)], 1)
        kept, processed = channel_split(x)
        return torch.cat([kept, self.main(processed)], 1)


class Sequence(nn.Module):
    """The block families' body: one unit (a ModuleList of choice blocks) per decision, run one after the other."""

    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x, path):
        for layer, choice in zip(self.layers, path):
            x = layer[choice](x)
        return x


def relu_conv_bn(cin, cout, k, stride=1):
    return nn.Sequential(nn.ReLU(), nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout, affine=False))


class Zero(nn.Module):
    def forward(self, x):
        return torch.zeros_like(x)


def cell_op(choice, c):
    # NAS-Bench-201's order: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3.
    return [lambda: Zero(), lambda: nn.Identity(), lambda: relu_conv_bn(c, c, 1), lambda: relu_conv_bn(c, c, 3),
            lambda: nn.AvgPool2d(3, 1, 1, count_include_pad=False)][choice]()


class Reduction(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv_a, self.conv_b = relu_conv_bn(cin, cout, 3, 2), relu_conv_bn(cout, cout, 3)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2, ceil_mode=True), nn.Conv2d(cin, cout, 1, bias=False))

    def forward(self, x):
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class Cells(nn.Module):
    """The cell family's body: stages of cells (6 edges, each a ModuleList of the 5 ops), reductions between stages."""

    def __init__(self, spec):
        super().__init__()
        self.edges = [tuple(e) for e in spec["edges"]]
        self.stages = nn.ModuleList()
        previous = spec["stem"]
        for s, c in enumerate(spec["stages"]):
            cells = nn.ModuleList(nn.ModuleList(nn.ModuleList(cell_op(o, c) for o in range(spec["choices"])) for _ in self.edges)
                                  for _ in range(spec["cellsPerStage"]))
            self.stages.append(nn.ModuleDict({"reduction": Reduction(previous, c) if s > 0 else nn.Identity(), "cells": cells}))
            previous = c

    def forward(self, x, path):
        for stage in self.stages:
            x = stage["reduction"](x)
            for cell in stage["cells"]:
                nodes = [x]
                for to in (1, 2, 3):
                    nodes.append(sum(cell[d][path[d]](nodes[f]) for d, (f, t) in enumerate(self.edges) if t == to))
                x = nodes[3]
        return x


def conv_head(spec):
    return nn.Sequential(nn.Conv2d(spec["width"], spec["last"], 1, bias=False), nn.BatchNorm2d(spec["last"], affine=False),
                         nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten()), spec["last"]


def mbconv(spec, cin):
    stem = nn.Sequential(conv_bn(cin, spec["stem"], 3, spec["stemStride"]),
                         conv_bn(spec["stem"], spec["stem"], 3, spec["separableStride"], spec["stem"]),
                         conv_bn(spec["stem"], spec["separable"], 1, relu=False))
    choices = [(3, 3), (3, 5), (3, 7), (6, 3), (6, 5), (6, 7)]
    body = Sequence(nn.ModuleList(MbBlock(l["in"], l["out"], l["stride"], e, k) for e, k in choices) for l in spec["layers"])
    return (stem, body) + conv_head(spec)


def shufflenet(spec, cin):
    stem = nn.Sequential(conv_bn(cin, spec["stem"], 3, spec["stemStride"]))
    body = Sequence(nn.ModuleList(ShuffleBlock(l["in"], l["out"], l["mid"], l["stride"], c) for c in range(4)) for l in spec["layers"])
    return (stem, body) + conv_head(spec)


def cell(spec, cin):
    stem = nn.Sequential(conv_bn(cin, spec["stem"], 3, spec["stemStride"], relu=False))
    head = nn.Sequential(nn.BatchNorm2d(spec["width"], affine=False), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return stem, Cells(spec), head, spec["width"]


# The one dispatch on the family, keyed by the family names of NasActors.Torch.Supernet.Families.
FAMILIES = {"mbconv": mbconv, "shufflenet": shufflenet, "cell": cell}


class Supernet(nn.Module):
    def __init__(self, spec):
        super().__init__()
        if spec["family"] not in FAMILIES:
            sys.exit(f"the reference has no builder for family '{spec['family']}' (known: {', '.join(FAMILIES)})")
        self.stem, self.body, self.head, features = FAMILIES[spec["family"]](spec, spec["input"][0])
        self.dropout = nn.Dropout(spec["dropout"])
        self.channels_last = spec["channelsLast"]
        self.classifier = nn.Linear(features, spec["classes"], bias=spec["classifierBias"])

    def forward(self, x, path):
        # As the trainer does on a CPU: channels-last from the output of the stem's first convolution on, before its
        # BatchNorm (oneDNN's channels-last kernels; BatchNorm and ReLU take their gradients in that layout too).
        first = self.stem[0]
        x = first[0](x)
        if self.channels_last and x.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        for module in list(first[1:]) + list(self.stem[1:]):
            x = module(x)
        x = self.body(x, path)
        return self.classifier(self.dropout(self.head(x)))


def load_images(path, count):
    with gzip.open(path, "rb") as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return data.reshape(-1, 28 * 28)[:count]


def check(net, spec, device):
    """Fails unless this network is the space the C# side described (parameter count, last feature map size)."""
    parameters = sum(p.numel() for p in net.parameters())
    if parameters != spec["parameters"]:
        sys.exit(f"reference network has {parameters} parameters, the trainer's supernet has {spec['parameters']}")
    net.eval()
    with torch.no_grad():
        x = net.body(net.stem(torch.zeros(1, *spec["input"], device=device)), [0] * spec["decisions"])
    net.train()
    if x.shape[-1] != spec["finalSize"]:
        sys.exit(f"reference network's last feature map is {x.shape[-1]}x{x.shape[-2]}, the space says {spec['finalSize']}")


def main():
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(spec["threads"])
    device = torch.device(spec["device"])
    torch.manual_seed(1)
    random.seed(1)
    net = Supernet(spec).to(device)
    check(net, spec, device)
    decay = [p for p in net.parameters() if p.dim() > 1]
    other = [p for p in net.parameters() if p.dim() <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": spec["weightDecay"]}, {"params": other, "weight_decay": 0.0}],
                          lr=spec["lr"], momentum=0.9)
    bs = spec["batchSize"]
    pixels = torch.from_numpy(load_images(spec["images"], 4096).copy()).reshape(-1, *spec["input"])
    labels = torch.from_numpy(np.random.RandomState(1).randint(0, 10, len(pixels))).long()
    m = spec["choices"]
    nlayers = spec["decisions"]
    batches = len(pixels) // bs
    position = [0]
    order = [None, -1]
    shuffle = torch.Generator().manual_seed(1)

    def batch():
        epoch, i = divmod(position[0], batches)
        position[0] += 1
        if order[1] != epoch:
            order[0], order[1] = torch.randperm(len(pixels), generator=shuffle), epoch
        idx = order[0][i * bs:(i + 1) * bs]
        x = (pixels.index_select(0, idx).float() / 255.0 - 0.2860) / 0.3530
        return x.to(device), labels.index_select(0, idx).to(device)

    def step(paths):
        net.train()
        opt.zero_grad(set_to_none=True)
        loss_sum, correct = 0.0, 0
        for path in paths:
            x, y = batch()
            logits = net(x, path)
            loss = F.cross_entropy(logits, y, label_smoothing=0.1)
            loss.backward()
            loss_sum += loss.item()
            correct += logits.argmax(1).eq(y).sum().item()
        opt.step()
        return len(paths) * bs

    def spos():
        return step([[random.randrange(m) for _ in range(nlayers)]])

    def fairnas():
        perms = [random.sample(range(m), m) for _ in range(nlayers)]
        return step([[perms[l][i] for l in range(nlayers)] for i in range(m)])

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    result = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for name, fn, steps in (("spos", spos, spec["sposSteps"]), ("fairnas", fairnas, spec["fairSteps"])):
        for _ in range(spec["warmup"]):
            fn()
        sync()
        start = time.perf_counter()
        seen = sum(fn() for _ in range(steps))
        sync()
        elapsed = time.perf_counter() - start
        result[name] = {"imagesPerSecond": seen / elapsed, "secondsPerStep": elapsed / steps}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
