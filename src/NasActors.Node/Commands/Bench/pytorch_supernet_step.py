#!/usr/bin/env python3
"""The PyTorch reference for `nas benchmark-step`: the same supernet, sampler and optimizer step as NasActors'
TorchSharp trainer, timed on the same machine in the same run.

Reads a JSON description of the block space (written by `nas benchmark-step`), builds the supernet with the same
shapes (BatchNorm without affine parameters, bias-free convolutions) and layout (on a CPU, channels-last from the
output of the stem's first convolution on, unless the spec says otherwise), and times SPOS steps (one uniform path,
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


class Supernet(nn.Module):
    def __init__(self, spec):
        super().__init__()
        cin = spec["input"][0]
        if spec["family"] == "mbconv":
            self.stem = nn.Sequential(conv_bn(cin, spec["stem"], 3, spec["stemStride"]),
                                      conv_bn(spec["stem"], spec["stem"], 3, spec["separableStride"], spec["stem"]),
                                      conv_bn(spec["stem"], spec["separable"], 1, relu=False))
            choices = [(3, 3), (3, 5), (3, 7), (6, 3), (6, 5), (6, 7)]
            self.layers = nn.ModuleList(nn.ModuleList(MbBlock(l["in"], l["out"], l["stride"], e, k) for e, k in choices)
                                        for l in spec["layers"])
        else:
            self.stem = nn.Sequential(conv_bn(cin, spec["stem"], 3, spec["stemStride"]))
            self.layers = nn.ModuleList(nn.ModuleList(ShuffleBlock(l["in"], l["out"], l["mid"], l["stride"], c) for c in range(4))
                                        for l in spec["layers"])
        self.head = nn.Sequential(nn.Conv2d(spec["width"], spec["last"], 1, bias=False), nn.BatchNorm2d(spec["last"], affine=False),
                                  nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.dropout = nn.Dropout(spec["dropout"])
        self.channels_last = spec["channelsLast"]
        self.classifier = nn.Linear(spec["last"], spec["classes"], bias=spec["family"] == "mbconv")

    def forward(self, x, path):
        # As the trainer does on a CPU: channels-last from the output of the stem's first convolution on, before its
        # BatchNorm (oneDNN's channels-last kernels; BatchNorm and ReLU take their gradients in that layout too).
        first = self.stem[0]
        x = first[0](x)
        if self.channels_last and x.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        for module in list(first[1:]) + list(self.stem[1:]):
            x = module(x)
        for layer, choice in zip(self.layers, path):
            x = layer[choice](x)
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
        x = net.stem(torch.zeros(1, *spec["input"], device=device))
        for layer in net.layers:
            x = layer[0](x)
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
    m = 6 if spec["family"] == "mbconv" else 4
    nlayers = len(spec["layers"])
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
