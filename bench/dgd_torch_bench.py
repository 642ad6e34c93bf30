#!/usr/bin/python3
"""PyTorch CPU reference for one DGD training epoch in the shape of the scDGD code (own script, not
scDGD's): representations nn.Embedding-like parameter (N x L, zeros), decoder L -> 100 -> 100 -> 100 -> G
(ReLU) -> softmax, NB with r = exp(log_r) + 1 and library-size scaling, diagonal GMM prior with K
components (logsumexp mixture + Dirichlet/softball/Gaussian priors), three Adam optimisers with
betas (0.5, 0.7), weight decay 1e-4; decoder and GMM step per batch, representations once per epoch.

Usage: /usr/bin/python3 bench/dgd_torch_bench.py --cells 4000 --genes 1000 --batch-size 128 --components 8 --epochs 2 --threads 1
Prints one line: RESULT {"cells_per_s": ..., "epoch_s": ...} (median over the timed epochs after one warm-up).
"""
import argparse, json, math, time
import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument("--cells", type=int, default=4000)
p.add_argument("--genes", type=int, default=1000)
p.add_argument("--batch-size", type=int, default=128)
p.add_argument("--components", type=int, default=8)
p.add_argument("--latent", type=int, default=20)
p.add_argument("--epochs", type=int, default=2)
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
rng = np.random.default_rng(0)
N, G, L, K = a.cells, a.genes, a.latent, a.components
prog = rng.gamma(0.5, 1.0, size=(K, G))
prog /= prog.sum(1, keepdims=True)
lib = rng.uniform(1000, 4000, size=N)
lam = rng.gamma(5.0, prog[rng.integers(0, K, N)] * lib[:, None] / 5.0)
X = torch.tensor(rng.poisson(lam), dtype=torch.float32)
M = X.sum(1, keepdim=True)

dec = torch.nn.Sequential(torch.nn.Linear(L, 100), torch.nn.ReLU(), torch.nn.Linear(100, 100), torch.nn.ReLU(),
                          torch.nn.Linear(100, 100), torch.nn.ReLU(), torch.nn.Linear(100, G), torch.nn.Softmax(-1))
log_r = torch.nn.Parameter(torch.zeros(1, G))
rep = torch.nn.Parameter(torch.zeros(N, L))
d = torch.randn(K, L); d = d / d.norm(dim=-1, keepdim=True) * torch.rand(K, 1) ** (1 / L)
mean = torch.nn.Parameter(d)
logbeta = torch.nn.Parameter(torch.full((K, L), -2 * math.log(0.2 / K)))
weight = torch.nn.Parameter(torch.ones(K))
opt = lambda ps, lr: torch.optim.Adam(ps, lr=lr, betas=(0.5, 0.7), weight_decay=1e-4)
o_dec, o_gmm, o_rep = opt(list(dec.parameters()) + [log_r], 1e-3), opt([mean, logbeta, weight], 1e-2), opt([rep], 1e-2)

def lognb(k, m, r):
    return torch.lgamma(k + r) - torch.lgamma(r) - torch.lgamma(k + 1) + k * torch.log(m / (r + m + 1e-10) + 1e-10) + r * torch.log(r / (r + m + 1e-10))

def gmm_logp(z):
    y = -0.5 * L * math.log(2 * math.pi) - (z.unsqueeze(-2) - mean).square().mul(0.5 * torch.exp(logbeta)).sum(-1) + 0.5 * logbeta.sum(-1)
    return torch.logsumexp(y + torch.log_softmax(weight, 0), -1)

def prior():
    soft = math.lgamma(1 + L / 2) - L * 0.5 * math.log(math.pi) - torch.log1p(torch.exp(mean.norm(dim=-1) - 1)).sum()
    m0 = -2 * math.log(0.2 / K)
    return soft + (-0.5 * (logbeta - m0) ** 2 - 0.5 * math.log(2 * math.pi)).sum()

def epoch():
    o_rep.zero_grad()
    perm = torch.randperm(N)
    for s in range(0, N, a.batch_size):
        i = perm[s:s + a.batch_size]
        o_dec.zero_grad(); o_gmm.zero_grad()
        z = rep[i]
        r = torch.exp(log_r) + 1
        loss = -lognb(X[i], M[i] * dec(z), r).sum() - gmm_logp(z).sum() - prior() * len(i) / N
        loss.backward()
        o_dec.step(); o_gmm.step()
    o_rep.step()

epoch()  # warm-up
times = []
for _ in range(a.epochs):
    t = time.perf_counter(); epoch(); times.append(time.perf_counter() - t)
med = float(np.median(times))
print("RESULT " + json.dumps({"epoch_s": med, "cells_per_s": N / med, "torch": torch.__version__, "threads": a.threads}))
