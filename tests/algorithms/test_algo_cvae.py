"""What the cVAE's beta means: the loss as a scaled beta-VAE negative ELBO."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from algo_helpers import small_config
from torch.distributions import Normal, kl_divergence

import algorithms
from algorithms.cvae import CVAE
from algorithms.training import init_parameters


@pytest.mark.parametrize(("chunk", "beta"), [(1, 0.1), (4, 0.5), (8, 2.0)])
def test_loss_is_a_scaled_negative_elbo_with_weight_beta_h_over_2(chunk, beta):
    cfg = small_config("cvae", chunk_size=chunk, beta=beta, latent_dim=3)
    gen = torch.Generator().manual_seed(0)  # torch's global generator is left alone
    net = init_parameters(CVAE, cfg, 4, 2, generator=gen)
    obs, actions = torch.randn(16, 1, 4, generator=gen), torch.randn(16, chunk, 2, generator=gen)
    mask = torch.ones(16, chunk)
    loss, _ = net.loss(obs, actions, mask, generator=torch.Generator().manual_seed(1))

    # The same draws, by hand: a unit-variance Gaussian decoder and the N(0, I) prior.
    s = obs[:, -1]
    mu, log_var = net.encoder(torch.cat([s, actions.flatten(1)], -1)).chunk(2, -1)
    log_var = log_var.clamp(-10.0, 10.0)
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(1))
    std = torch.exp(0.5 * log_var)
    pred = net.decode(s, mu + std * eps)
    const = 0.5 * math.log(2 * math.pi) * chunk * 2  # per sample: H steps x A dims
    nll = -Normal(pred, 1.0).log_prob(actions).sum((1, 2)).mean() - const
    kl = kl_divergence(Normal(mu, std), Normal(0.0, 1.0)).sum(-1).mean()
    beta_elbo = beta * chunk / 2
    torch.testing.assert_close(loss, (2 / chunk) * (nll + beta_elbo * kl))


def test_beta_help_states_the_elbo_weight():
    (field,) = [f for f in dataclasses.fields(algorithms.CVAEConfig) if f.name == "beta"]
    text = field.metadata["help"]
    assert "beta * H / 2" in text and "2 / H" in text and "1 = the plain ELBO" not in text
